#pragma once

#include "hal_types.h"

#ifdef __cplusplus
extern "C" {
#endif

uint32_t HAL_RTC_Get_UnixTime(void);
void HAL_RTC_Set_UnixTime(uint32_t value);

#ifdef __cplusplus
}
#endif
