#pragma once

#include "hal_types.h"

#ifdef __cplusplus
extern "C" {
#endif

int32_t HAL_ADC_Read(pin_t pin);
void HAL_ADC_Set_Sample_Time(uint8_t sample_time);

#ifdef __cplusplus
}
#endif
