#pragma once

#include "hal_types.h"

#ifdef __cplusplus
extern "C" {
#endif

void HAL_Delay_Milliseconds(uint32_t ms);
void HAL_Delay_Microseconds(uint32_t us);

#ifdef __cplusplus
}
#endif
