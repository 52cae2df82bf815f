#include "core_hal.h"
#include "timer_hal.h"
#include "usart_hal.h"
#include "platform_info.h"
#include "logging.h"
#include "stm32f2xx_regs.h"

#define DFU_MAGIC_ADDRESS   (*(volatile uint32_t*)0x40002854u)  /* RTC backup register 1 */
#define DFU_MAGIC_VALUE     0x7DEA

void HAL_Core_Init(void)
{
    SYSTICK_LOAD = 120000u - 1u;
    SYSTICK_CTRL = 7u;
    for (int serial = 0; serial < TOTAL_USARTS; serial++) {
        HAL_USART_Init((HAL_USART_Serial)serial);
    }
    LOG(INFO, "HAL initialised");
}

void HAL_Core_System_Reset(void)
{
    SCB_AIRCR = (0x5FAu << 16) | (1u << 2);
    for (;;) {
    }
}

void HAL_Core_Enter_DFU_Mode(int persist)
{
    DFU_MAGIC_ADDRESS = persist ? (DFU_MAGIC_VALUE | 0x10000u) : DFU_MAGIC_VALUE;
    HAL_Core_System_Reset();
}

uint32_t HAL_Core_Compute_CRC32(const uint8_t* data, uint32_t length)
{
    /* the STM32 CRC unit works on words; the tail is fed one byte per word */
    CRC_CR = 1u;
    for (uint32_t i = 0; i < length; i++) {
        CRC_DR = data[i];
    }
    return CRC_DR;
}

unsigned HAL_device_id(uint8_t* dest, unsigned length)
{
    unsigned n = length < 12 ? length : 12;
    for (unsigned i = 0; i < n; i++) {
        dest[i] = UNIQUE_DEVICE_ID[i];
    }
    return 12;
}
