#include "adc_hal.h"
#include "gpio_hal.h"
#include "pinmap_hal.h"
#include "stm32f2xx_regs.h"

static uint8_t adc_sample_time = 3;

void HAL_ADC_Set_Sample_Time(uint8_t sample_time)
{
    adc_sample_time = sample_time & 7u;
}

int32_t HAL_ADC_Read(pin_t pin)
{
    if (pin >= HAL_Pin_Count() || HAL_Pin_Map()[pin].adc_channel == NONE) {
        return 0;
    }
    uint8_t channel = HAL_Pin_Map()[pin].adc_channel;
    if (HAL_Get_Pin_Mode(pin) != AN_INPUT) {
        HAL_Pin_Mode(pin, AN_INPUT);
    }
    ADC1_SMPR2 = (uint32_t)adc_sample_time << (3u * (channel % 10u));
    ADC1_SQR3 = channel;
    ADC1_CR2 |= 1u | (1u << 30);
    while (!(ADC1_SR & 2u)) {
    }
    return (int32_t)(ADC1_DR & 0xFFFu);
}
