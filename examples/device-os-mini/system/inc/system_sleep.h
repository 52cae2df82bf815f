#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum System_Sleep_Mode {
    SLEEP_MODE_WLAN = 0,
    SLEEP_MODE_DEEP = 1,
    SLEEP_MODE_STOP = 2
} System_Sleep_Mode;

int system_sleep(uint32_t seconds, int mode);

#ifdef __cplusplus
}
#endif
