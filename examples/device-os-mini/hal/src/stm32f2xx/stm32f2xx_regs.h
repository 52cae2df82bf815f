#pragma once

#include <stdint.h>

/* The few STM32F2 peripheral registers used by the HAL */
typedef struct gpio_regs_t {
    volatile uint32_t MODER;
    volatile uint32_t OTYPER;
    volatile uint32_t OSPEEDR;
    volatile uint32_t PUPDR;
    volatile uint32_t IDR;
    volatile uint32_t ODR;
    volatile uint32_t BSRR;
} gpio_regs_t;

typedef struct usart_regs_t {
    volatile uint32_t SR;
    volatile uint32_t DR;
    volatile uint32_t BRR;
    volatile uint32_t CR1;
    volatile uint32_t CR2;
    volatile uint32_t CR3;
} usart_regs_t;

#define GPIO_PORT(n)        ((gpio_regs_t*)(0x40020000u + 0x400u * (n)))
#define USART1_REGS         ((usart_regs_t*)0x40011000u)
#define USART2_REGS         ((usart_regs_t*)0x40004400u)
#define USART3_REGS         ((usart_regs_t*)0x40004800u)
#define ADC1_DR             (*(volatile uint32_t*)0x4001204Cu)
#define ADC1_SQR3           (*(volatile uint32_t*)0x40012034u)
#define ADC1_CR2            (*(volatile uint32_t*)0x40012008u)
#define ADC1_SR             (*(volatile uint32_t*)0x40012000u)
#define ADC1_SMPR2          (*(volatile uint32_t*)0x40012010u)
#define RTC_TR              (*(volatile uint32_t*)0x40002800u)
#define RTC_BKP0R           (*(volatile uint32_t*)0x40002850u)
#define CRC_DR              (*(volatile uint32_t*)0x40023000u)
#define CRC_CR              (*(volatile uint32_t*)0x40023008u)
#define SYSTICK_CTRL        (*(volatile uint32_t*)0xE000E010u)
#define SYSTICK_LOAD        (*(volatile uint32_t*)0xE000E014u)
#define SCB_AIRCR           (*(volatile uint32_t*)0xE000ED0Cu)
#define UNIQUE_DEVICE_ID    ((const volatile uint8_t*)0x1FFF7A10u)
