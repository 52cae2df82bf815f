#include "pinmap_hal.h"

/* D0..D7, A0..A7, TX, RX, WKP, DAC, B0..B5, C0..C5 and the modem control lines */
static const STM32_Pin_Info pin_map[] = {
    { 1, 7, NONE, 4 }, { 1, 6, NONE, 4 }, { 1, 5, NONE, 3 }, { 1, 4, NONE, 3 },
    { 1, 3, NONE, NONE }, { 0, 15, NONE, 2 }, { 0, 14, NONE, NONE }, { 0, 13, NONE, NONE },
    { 2, 5, 15, NONE }, { 2, 3, 13, NONE }, { 2, 2, 12, NONE }, { 0, 5, 5, NONE },
    { 0, 6, 6, 3 }, { 0, 7, 7, 3 }, { 0, 4, 4, NONE }, { 0, 0, 0, 5 },
    { 0, 2, 2, 2 }, { 0, 3, 3, 2 }, { 0, 1, 1, 2 }, { 0, 4, 4, NONE },
    { 2, 8, NONE, 8 }, { 2, 9, NONE, 8 }, { 4, 9, NONE, NONE }, { 4, 10, NONE, NONE },
    { 2, 0, 10, NONE }, { 2, 1, 11, NONE }, { 3, 2, NONE, NONE }, { 2, 12, NONE, NONE },
    { 2, 10, NONE, NONE }, { 2, 11, NONE, NONE }, { 1, 8, NONE, 10 }, { 1, 9, NONE, 11 },
    { 3, 3, NONE, NONE }, { 3, 4, NONE, NONE }, { 3, 5, NONE, NONE }, { 3, 6, NONE, NONE },
    /* PWR_UC, RESET_UC */
    { 4, 2, NONE, NONE }, { 4, 3, NONE, NONE },
};

const STM32_Pin_Info* HAL_Pin_Map(void)
{
    return pin_map;
}

pin_t HAL_Pin_Count(void)
{
    return (pin_t)(sizeof(pin_map) / sizeof(pin_map[0]));
}
