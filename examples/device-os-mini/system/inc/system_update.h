#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* checks of a module image before it is written (like OTA / YMODEM updates do) */
int system_validate_module(uint32_t slot, uint32_t slot_size, int function);

#ifdef __cplusplus
}
#endif
