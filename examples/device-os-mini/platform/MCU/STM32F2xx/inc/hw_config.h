#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* a few STM32F2 peripheral registers */
#define STM32_PERIPH_BASE       0x40000000u
#define STM32_RCC_BASE          (STM32_PERIPH_BASE + 0x23800u)
#define STM32_FLASH_R_BASE      (STM32_PERIPH_BASE + 0x23C00u)
#define STM32_CRC_BASE          (STM32_PERIPH_BASE + 0x23000u)
#define STM32_REG(addr)         (*(volatile uint32_t*)(addr))

#define RCC_CR                  STM32_REG(STM32_RCC_BASE + 0x00)
#define RCC_PLLCFGR             STM32_REG(STM32_RCC_BASE + 0x04)
#define RCC_CFGR                STM32_REG(STM32_RCC_BASE + 0x08)
#define RCC_AHB1ENR             STM32_REG(STM32_RCC_BASE + 0x30)
#define RCC_APB1ENR             STM32_REG(STM32_RCC_BASE + 0x40)
#define RCC_APB2ENR             STM32_REG(STM32_RCC_BASE + 0x44)
#define FLASH_ACR               STM32_REG(STM32_FLASH_R_BASE + 0x00)

extern uint32_t SystemCoreClock;

void SystemInit(void);
void SystemCoreClockUpdate(void);
void platform_hw_init(void);
void platform_enable_peripheral_clocks(uint32_t ahb1, uint32_t apb1, uint32_t apb2);

#ifdef __cplusplus
}
#endif
