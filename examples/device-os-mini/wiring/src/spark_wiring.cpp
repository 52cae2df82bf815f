#include "spark_wiring.h"
#include "gpio_hal.h"
#include "adc_hal.h"

void pinMode(uint16_t pin, PinMode mode) {
    HAL_Pin_Mode(pin, mode);
}

PinMode getPinMode(uint16_t pin) {
    return HAL_Get_Pin_Mode(pin);
}

void digitalWrite(uint16_t pin, uint8_t value) {
    HAL_GPIO_Write(pin, value);
}

int32_t digitalRead(uint16_t pin) {
    return HAL_GPIO_Read(pin);
}

int32_t analogRead(uint16_t pin) {
    return HAL_ADC_Read(pin);
}

long map(long value, long from_low, long from_high, long to_low, long to_high) {
    if (from_high == from_low) {
        return to_low;
    }
    return (value - from_low) * (to_high - to_low) / (from_high - from_low) + to_low;
}
