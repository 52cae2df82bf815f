#pragma once

#include "hal_types.h"

#ifdef __cplusplus
extern "C" {
#endif

void HAL_Core_Init(void);
void HAL_Core_System_Reset(void);
void HAL_Core_Enter_DFU_Mode(int persist);
uint32_t HAL_Core_Compute_CRC32(const uint8_t* data, uint32_t length);
unsigned HAL_device_id(uint8_t* dest, unsigned length);
const char* HAL_Core_Platform_Name(void);

#ifdef __cplusplus
}
#endif
