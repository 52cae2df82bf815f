#pragma once

#include "hal_types.h"

#ifdef __cplusplus
extern "C" {
#endif

void HAL_USART_Init(HAL_USART_Serial serial);
void HAL_USART_Begin(HAL_USART_Serial serial, uint32_t baud);
uint32_t HAL_USART_Write_Data(HAL_USART_Serial serial, uint8_t data);
int32_t HAL_USART_Available_Data(HAL_USART_Serial serial);
int32_t HAL_USART_Read_Data(HAL_USART_Serial serial);

#ifdef __cplusplus
}
#endif
