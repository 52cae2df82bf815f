#include "spark_wiring.h"
#include "delay_hal.h"
#include "system_task.h"

void delay(unsigned long ms) {
#if WIRING_IN_USER_PART
    // the application's delay() keeps the system (network, cloud) running
    system_delay_ms(ms, false);
#else
    HAL_Delay_Milliseconds(ms);
#endif
}

void delayMicroseconds(unsigned int us) {
    HAL_Delay_Microseconds(us);
}
