#include <stdint.h>
#include "timer_hal.h"

/* Battery state from the MAX17043 fuel gauge (stand-in: a slow discharge curve). */
int HAL_Power_Battery_Percent(void);

int HAL_Power_Battery_Percent(void)
{
    uint32_t hours = HAL_Timer_Get_Milli_Seconds() / 3600000u;
    return hours >= 100u ? 0 : (int)(100u - hours);
}
