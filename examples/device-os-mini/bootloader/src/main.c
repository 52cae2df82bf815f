/*
 * Stand-in for the Device OS bootloader (it is built, never run). The real
 * one sets up the device, offers DFU mode and starts the system part that
 * begins with a vector table. This one looks at the module in that slot and
 * waits. SystemInit() (clocks) is called by the reset handler before main().
 */
#include <stdint.h>
#include "platform_info.h"
#include "flash_mal.h"
#include "bootloader_platform.h"

/* 1 if the module in the start slot has a valid header and CRC (for a debugger) */
volatile int bootloader_start_module_valid;

int main(void)
{
    platform_init();

    const uint32_t slot = bootloader_start_slot();
    const module_info_t* info = FLASH_ModuleInfo(slot);
    bootloader_start_module_valid = FLASH_ModuleInfoValid(info, slot, bootloader_start_slot_size())
            && FLASH_VerifyCRC32(info);

    for (;;) {
    }
}
