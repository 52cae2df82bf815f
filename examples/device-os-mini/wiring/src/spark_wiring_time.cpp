#include "spark_wiring.h"
#include "rtc_hal.h"

uint32_t TimeClass::now() {
    return HAL_RTC_Get_UnixTime();
}

void TimeClass::setTime(uint32_t unix_time) {
    HAL_RTC_Set_UnixTime(unix_time);
}

int TimeClass::hour() {
    return (int)((now() / 3600u) % 24u);
}

int TimeClass::minute() {
    return (int)((now() / 60u) % 60u);
}

int TimeClass::second() {
    return (int)(now() % 60u);
}

bool TimeClass::isValid() {
    return now() > 1500000000u;
}

String TimeClass::timeStr() {
    String result;
    const int parts[3] = { hour(), minute(), second() };
    for (int i = 0; i < 3; i++) {
        if (i) {
            result += ':';
        }
        if (parts[i] < 10) {
            result += '0';
        }
        result += parts[i];
    }
    return result;
}
