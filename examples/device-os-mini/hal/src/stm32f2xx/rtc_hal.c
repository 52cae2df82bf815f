#include "rtc_hal.h"
#include "timer_hal.h"
#include "stm32f2xx_regs.h"

/* The fixture keeps Unix time as an offset to the millisecond counter, mirrored to a backup register. */
static uint32_t unix_time_base;
static uint32_t unix_time_millis;

uint32_t HAL_RTC_Get_UnixTime(void)
{
    if (!unix_time_base) {
        unix_time_base = RTC_BKP0R;
    }
    return unix_time_base + (HAL_Timer_Get_Milli_Seconds() - unix_time_millis) / 1000u;
}

void HAL_RTC_Set_UnixTime(uint32_t value)
{
    unix_time_base = value;
    unix_time_millis = HAL_Timer_Get_Milli_Seconds();
    RTC_BKP0R = value;
}
