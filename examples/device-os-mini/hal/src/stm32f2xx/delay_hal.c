#include "delay_hal.h"
#include "timer_hal.h"
#include "hw_ticks.h"

void HAL_Delay_Microseconds(uint32_t us)
{
    uint32_t start = hw_ticks_cycles();
    uint32_t cycles = us * SYSTEM_US_TICKS;
    while (hw_ticks_cycles() - start < cycles) {
    }
}

void HAL_Delay_Milliseconds(uint32_t ms)
{
    uint32_t start = HAL_Timer_Get_Milli_Seconds();
    while (HAL_Timer_Get_Milli_Seconds() - start < ms) {
    }
}
