#include "hw_config.h"
#include "hw_ticks.h"
#include "platform_config.h"

void platform_enable_peripheral_clocks(uint32_t ahb1, uint32_t apb1, uint32_t apb2)
{
    RCC_AHB1ENR |= ahb1;
    RCC_APB1ENR |= apb1;
    RCC_APB2ENR |= apb2;
}

void platform_hw_init(void)
{
    SystemInit();
    /* GPIOA..GPIOE, CRC, DMA1/2 */
    platform_enable_peripheral_clocks(0x1Fu | (1u << 12) | (3u << 21), 0, 0);
#if PLATFORM_ID == 10
    /* USART3 talks to the u-blox modem */
    platform_enable_peripheral_clocks(0, 1u << 18, 0);
#endif
    hw_ticks_init();
}
