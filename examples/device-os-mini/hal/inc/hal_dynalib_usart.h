#pragma once

#include "dynalib.h"

#ifdef DYNALIB_EXPORT
#include "usart_hal.h"
#endif

DYNALIB_BEGIN(hal_usart)
DYNALIB_FN(0, hal_usart, HAL_USART_Init, void(HAL_USART_Serial))
DYNALIB_FN(1, hal_usart, HAL_USART_Begin, void(HAL_USART_Serial, uint32_t))
DYNALIB_FN(2, hal_usart, HAL_USART_Write_Data, uint32_t(HAL_USART_Serial, uint8_t))
DYNALIB_FN(3, hal_usart, HAL_USART_Available_Data, int32_t(HAL_USART_Serial))
DYNALIB_FN(4, hal_usart, HAL_USART_Read_Data, int32_t(HAL_USART_Serial))
DYNALIB_END(hal_usart)
