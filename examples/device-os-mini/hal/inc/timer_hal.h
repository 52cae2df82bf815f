#pragma once

#include "hal_types.h"

#ifdef __cplusplus
extern "C" {
#endif

uint32_t HAL_Timer_Get_Milli_Seconds(void);
uint32_t HAL_Timer_Get_Micro_Seconds(void);
void HAL_Timer_Tick(void);

#ifdef __cplusplus
}
#endif
