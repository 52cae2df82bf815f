#pragma once

#include "hal_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct STM32_Pin_Info {
    uint8_t port;       /* 0 = GPIOA */
    uint8_t pin;        /* bit in the port */
    uint8_t adc_channel;
    uint8_t timer;
} STM32_Pin_Info;

#define NONE 0xFF

const STM32_Pin_Info* HAL_Pin_Map(void);
pin_t HAL_Pin_Count(void);

#ifdef __cplusplus
}
#endif
