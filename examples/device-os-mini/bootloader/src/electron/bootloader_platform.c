#include "bootloader_platform.h"
#include "platform_config.h"

/* Electron: the part with index 2 (modules/electron/system-part3) at 0x08040000, 128 KB */
uint32_t bootloader_start_slot(void)
{
    return SYSTEM_PART2_START;
}

uint32_t bootloader_start_slot_size(void)
{
    return SYSTEM_PART_SIZE;
}
