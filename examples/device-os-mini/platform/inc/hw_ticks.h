#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SYSTEM_US_TICKS 120  /* cycles per microsecond at 120 MHz */

void hw_ticks_init(void);
uint32_t hw_ticks_cycles(void);
uint32_t hw_ticks_micros(void);

#ifdef __cplusplus
}
#endif
