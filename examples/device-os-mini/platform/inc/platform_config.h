#pragma once

/* Internal flash layout of the Gen 2 (STM32F2xx) platforms. */

#define INTERNAL_FLASH_START        0x08000000
#define INTERNAL_FLASH_SIZE         0x100000
#define INTERNAL_FLASH_END          (INTERNAL_FLASH_START + INTERNAL_FLASH_SIZE)

#define BOOTLOADER_START            0x08000000
#define BOOTLOADER_SIZE             0x4000
#define DCT1_START                  0x08004000
#define DCT2_START                  0x08008000
#define EEPROM_EMULATION_START      0x0800C000

#if PLATFORM_ID == 6 || PLATFORM_ID == 8
/* Photon and P1: two 256 KB system parts */
#define SYSTEM_PART_COUNT           2
#define SYSTEM_PART1_START          0x08020000
#define SYSTEM_PART2_START          0x08060000
#define SYSTEM_PART_SIZE            0x40000
#define USER_PART_START             0x080A0000
#define OTA_SCRATCH_START           0x080C0000
#define FACTORY_PART_START          0x080E0000
#elif PLATFORM_ID == 10
/* Electron: three 128 KB system parts, the user part moved down */
#define SYSTEM_PART_COUNT           3
#define SYSTEM_PART1_START          0x08020000
#define SYSTEM_PART2_START          0x08040000
#define SYSTEM_PART3_START          0x08060000
#define SYSTEM_PART_SIZE            0x20000
#define USER_PART_START             0x08080000
#define FACTORY_PART_START          0x080A0000
#define OTA_SCRATCH_START           0x080C0000
#else
#error "Unsupported platform"
#endif

#define USER_PART_SIZE              0x20000

#if defined(USER_FIRMWARE_IMAGE_LOCATION) && USER_FIRMWARE_IMAGE_LOCATION != USER_PART_START
#error "USER_FIRMWARE_IMAGE_LOCATION does not match the platform's user part slot"
#endif

/* An initial stack pointer in SRAM marks a module that starts with a vector table */
#define FLASH_LOOKS_LIKE_STACK_POINTER(word) (((word) & 0x2FF10000) == 0x20000000)
