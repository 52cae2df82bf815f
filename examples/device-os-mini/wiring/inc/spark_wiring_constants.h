#pragma once

#include <stdint.h>

#define HIGH 0x1
#define LOW  0x0

#define DEC 10
#define HEX 16
#define OCT 8
#define BIN 2

enum WiringPin : uint16_t {
    D0 = 0, D1 = 1, D2 = 2, D3 = 3, D4 = 4, D5 = 5, D6 = 6, D7 = 7,
    A0 = 10, A1 = 11, A2 = 12, A3 = 13, A4 = 14, A5 = 15, A6 = 16, A7 = 17,
    TX = 18, RX = 19,
    WKP = A7, DAC = A6
};

#if PLATFORM_ID == 10
enum ElectronPin : uint16_t {
    B0 = 24, B1 = 25, B2 = 26, B3 = 27, B4 = 28, B5 = 29,
    C0 = 30, C1 = 31, C2 = 32, C3 = 33, C4 = 34, C5 = 35
};
#endif

#define LED_BUILTIN D7
