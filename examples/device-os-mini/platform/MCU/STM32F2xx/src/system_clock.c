/* Clock tree of the STM32F2: 26 MHz HSE (Photon/P1) or HSE bypass (Electron) -> 120 MHz */
#include "hw_config.h"

#define HSE_VALUE_HZ 26000000u
#define PLL_M 26u
#define PLL_N 240u
#define PLL_P 2u
#define PLL_Q 5u

uint32_t SystemCoreClock = 16000000u;

static const uint8_t ahb_prescaler_shift[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 6, 7, 8, 9 };

void SystemInit(void)
{
    RCC_CR |= 1u;                       /* HSI on */
    RCC_CFGR = 0;
    RCC_CR &= ~((1u << 16) | (1u << 19) | (1u << 24));
#if PLATFORM_ID == 10
    RCC_CR |= (1u << 18);               /* HSE bypass */
#endif
    RCC_CR |= (1u << 16);               /* HSE on */
    RCC_PLLCFGR = PLL_M | (PLL_N << 6) | (((PLL_P >> 1) - 1) << 16) | (1u << 22) | (PLL_Q << 24);
    RCC_CR |= (1u << 24);               /* PLL on */
    FLASH_ACR = (1u << 8) | (1u << 9) | (1u << 10) | 3u;
    RCC_CFGR = (RCC_CFGR & ~3u) | 2u;   /* PLL as system clock */
    SystemCoreClockUpdate();
}

void SystemCoreClockUpdate(void)
{
    uint32_t source = (RCC_CFGR >> 2) & 3u;
    uint32_t clock;
    if (source == 2) {
        uint32_t cfg = RCC_PLLCFGR;
        uint32_t m = cfg & 0x3Fu;
        uint32_t n = (cfg >> 6) & 0x1FFu;
        uint32_t p = (((cfg >> 16) & 3u) + 1) * 2;
        uint32_t input = (cfg & (1u << 22)) ? HSE_VALUE_HZ : 16000000u;
        clock = m ? (input / m) * n / p : 16000000u;
    } else if (source == 1) {
        clock = HSE_VALUE_HZ;
    } else {
        clock = 16000000u;
    }
    SystemCoreClock = clock >> ahb_prescaler_shift[(RCC_CFGR >> 4) & 0xFu];
}
