#include "timer_hal.h"
#include "hw_ticks.h"
#include "stm32f2xx_regs.h"

static volatile uint32_t system_millis;

/* called from SysTick every millisecond */
void HAL_Timer_Tick(void)
{
    system_millis++;
}

void SysTick_Handler(void)
{
    HAL_Timer_Tick();
}

uint32_t HAL_Timer_Get_Milli_Seconds(void)
{
    return system_millis;
}

uint32_t HAL_Timer_Get_Micro_Seconds(void)
{
    return hw_ticks_micros();
}
