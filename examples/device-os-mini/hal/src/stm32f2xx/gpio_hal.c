#include "gpio_hal.h"
#include "pinmap_hal.h"
#include "stm32f2xx_regs.h"

static PinMode pin_modes[64];

void HAL_Pin_Mode(pin_t pin, PinMode mode)
{
    if (pin >= HAL_Pin_Count()) {
        return;
    }
    const STM32_Pin_Info* info = &HAL_Pin_Map()[pin];
    gpio_regs_t* port = GPIO_PORT(info->port);
    uint32_t shift = info->pin * 2u;
    uint32_t moder = 0, pupdr = 0;
    switch (mode) {
    case OUTPUT:
        moder = 1;
        break;
    case INPUT_PULLUP:
        pupdr = 1;
        break;
    case INPUT_PULLDOWN:
        pupdr = 2;
        break;
    case AN_INPUT:
        moder = 3;
        break;
    default:
        break;
    }
    port->MODER = (port->MODER & ~(3u << shift)) | (moder << shift);
    port->PUPDR = (port->PUPDR & ~(3u << shift)) | (pupdr << shift);
    pin_modes[pin] = mode;
}

PinMode HAL_Get_Pin_Mode(pin_t pin)
{
    return pin < HAL_Pin_Count() ? pin_modes[pin] : PIN_MODE_NONE;
}

void HAL_GPIO_Write(pin_t pin, uint8_t value)
{
    if (pin >= HAL_Pin_Count()) {
        return;
    }
    const STM32_Pin_Info* info = &HAL_Pin_Map()[pin];
    GPIO_PORT(info->port)->BSRR = value ? (1u << info->pin) : (1u << (info->pin + 16));
}

int32_t HAL_GPIO_Read(pin_t pin)
{
    if (pin >= HAL_Pin_Count()) {
        return 0;
    }
    const STM32_Pin_Info* info = &HAL_Pin_Map()[pin];
    return (GPIO_PORT(info->port)->IDR >> info->pin) & 1u;
}
