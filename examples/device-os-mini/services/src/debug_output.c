#include <stdint.h>
#include "debug_output.h"

#define ITM_STIM0   (*(volatile uint32_t*)0xE0000000u)
#define ITM_TER     (*(volatile uint32_t*)0xE0000E00u)
#define ITM_TCR     (*(volatile uint32_t*)0xE0000E80u)

int debug_output_enabled(void)
{
    return (ITM_TCR & 1u) && (ITM_TER & 1u);
}

void debug_output(const char* text)
{
    if (!debug_output_enabled()) {
        return;
    }
    while (*text) {
        while (ITM_STIM0 == 0) {
        }
        *(volatile uint8_t*)&ITM_STIM0 = (uint8_t)*text++;
    }
    *(volatile uint8_t*)&ITM_STIM0 = '\n';
}
