#pragma once

#include "hal_types.h"

#ifdef __cplusplus
extern "C" {
#endif

void HAL_Pin_Mode(pin_t pin, PinMode mode);
PinMode HAL_Get_Pin_Mode(pin_t pin);
void HAL_GPIO_Write(pin_t pin, uint8_t value);
int32_t HAL_GPIO_Read(pin_t pin);

#ifdef __cplusplus
}
#endif
