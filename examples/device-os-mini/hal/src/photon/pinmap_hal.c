#include "pinmap_hal.h"

/* D0..D7, A0..A7, TX, RX, WKP, DAC, (P1: P1S0..P1S5) */
static const STM32_Pin_Info pin_map[] = {
    { 1, 7, NONE, 4 }, { 1, 6, NONE, 4 }, { 1, 5, NONE, 3 }, { 1, 4, NONE, 3 },
    { 1, 3, NONE, NONE }, { 0, 15, NONE, 2 }, { 0, 14, NONE, NONE }, { 0, 13, NONE, NONE },
    { 2, 5, 15, NONE }, { 2, 3, 13, NONE }, { 2, 2, 12, NONE }, { 0, 5, 5, NONE },
    { 0, 6, 6, 3 }, { 0, 7, 7, 3 }, { 0, 4, 4, NONE }, { 0, 0, 0, 5 },
    { 0, 2, 2, 2 }, { 0, 3, 3, 2 }, { 0, 1, 1, 2 }, { 0, 4, 4, NONE },
#if PLATFORM_ID == 8
    { 1, 1, 9, 3 }, { 1, 0, 8, 3 }, { 2, 13, NONE, NONE }, { 2, 14, NONE, NONE },
    { 2, 15, NONE, NONE }, { 3, 2, NONE, NONE },
#endif
};

const STM32_Pin_Info* HAL_Pin_Map(void)
{
    return pin_map;
}

pin_t HAL_Pin_Count(void)
{
    return (pin_t)(sizeof(pin_map) / sizeof(pin_map[0]));
}
