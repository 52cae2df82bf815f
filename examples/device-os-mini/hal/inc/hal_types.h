#pragma once

#include <stdint.h>
#include <stddef.h>

typedef uint16_t pin_t;

typedef enum PinMode {
    INPUT = 0,
    OUTPUT = 1,
    INPUT_PULLUP = 2,
    INPUT_PULLDOWN = 3,
    AN_INPUT = 4,
    PIN_MODE_NONE = 0xFF
} PinMode;

typedef enum HAL_USART_Serial {
    HAL_USART_SERIAL1 = 0,
    HAL_USART_SERIAL2 = 1,
    HAL_USART_SERIAL3 = 2,
    TOTAL_USARTS = 3
} HAL_USART_Serial;
