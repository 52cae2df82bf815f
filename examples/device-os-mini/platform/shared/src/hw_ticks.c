#include "hw_ticks.h"

/* DWT cycle counter */
#define DEMCR       (*(volatile uint32_t*)0xE000EDFCu)
#define DWT_CTRL    (*(volatile uint32_t*)0xE0001000u)
#define DWT_CYCCNT  (*(volatile uint32_t*)0xE0001004u)

void hw_ticks_init(void)
{
    DEMCR |= (1u << 24);
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u;
}

uint32_t hw_ticks_cycles(void)
{
    return DWT_CYCCNT;
}

uint32_t hw_ticks_micros(void)
{
    return DWT_CYCCNT / SYSTEM_US_TICKS;
}
