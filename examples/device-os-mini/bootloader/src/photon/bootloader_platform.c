#include "bootloader_platform.h"
#include "platform_config.h"

/* Photon/P1: system-part2 (index 2) at 0x08060000, 256 KB */
uint32_t bootloader_start_slot(void)
{
    return SYSTEM_PART2_START;
}

uint32_t bootloader_start_slot_size(void)
{
    return SYSTEM_PART_SIZE;
}
