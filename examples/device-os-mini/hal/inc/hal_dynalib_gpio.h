#pragma once

#include "dynalib.h"

#ifdef DYNALIB_EXPORT
#include "gpio_hal.h"
#include "adc_hal.h"
#endif

DYNALIB_BEGIN(hal_gpio)
DYNALIB_FN(0, hal_gpio, HAL_Pin_Mode, void(pin_t, PinMode))
DYNALIB_FN(1, hal_gpio, HAL_Get_Pin_Mode, PinMode(pin_t))
DYNALIB_FN(2, hal_gpio, HAL_GPIO_Write, void(pin_t, uint8_t))
DYNALIB_FN(3, hal_gpio, HAL_GPIO_Read, int32_t(pin_t))
DYNALIB_FN(4, hal_gpio, HAL_ADC_Read, int32_t(pin_t))
DYNALIB_END(hal_gpio)
