# Sources, defines and link flags of the bootloader (included by module.mk).

# Reset_Handler and the 97-word vector table; the module header follows at +0x184
ASRC += $(COMMON_BUILD)/arm/startup/startup_$(STM32_DEVICE_LC)_bootloader.S
ASFLAGS += -I$(COMMON_BUILD)/arm/startup

LDFLAGS += -lnosys
LDFLAGS += -Wl,--defsym,PLATFORM_DFU=$(PLATFORM_DFU)
LDFLAGS += -Wl,-Map,$(TARGET_BASE).map

LINKER_DEPS += $(COMMON_BUILD)/arm/linker/module_start.ld
LINKER_DEPS += $(COMMON_BUILD)/arm/linker/module_end.ld
LINKER_DEPS += $(COMMON_BUILD)/arm/linker/module_info.ld
LINKER_DEPS += $(COMMON_BUILD)/arm/linker/module_sections.ld
LINKER_DEPS += $(COMMON_BUILD)/arm/linker/module_asserts.ld

ifeq (,$(BOOTLOADER_MODULE_DEPENDENCY))
BOOTLOADER_MODULE_DEPENDENCY = 0,0,0
endif
ifeq (,$(BOOTLOADER_MODULE_DEPENDENCY2))
BOOTLOADER_MODULE_DEPENDENCY2 = 0,0,0
endif

GLOBAL_DEFINES += BOOTLOADER_VERSION=$(BOOTLOADER_VERSION)
GLOBAL_DEFINES += MODULE_VERSION=$(BOOTLOADER_VERSION)
GLOBAL_DEFINES += MODULE_FUNCTION=$(MODULE_FUNCTION_BOOTLOADER)
GLOBAL_DEFINES += MODULE_INDEX=0
GLOBAL_DEFINES += MODULE_DEPENDENCY=$(BOOTLOADER_MODULE_DEPENDENCY)
GLOBAL_DEFINES += MODULE_DEPENDENCY2=$(BOOTLOADER_MODULE_DEPENDENCY2)

# main.c and module_info.c
include $(BOOTLOADER_MODULE_PATH)/src/sources.mk

# the platform's sources (p1 uses photon's: PLATFORM_NAME)
include $(call rwildcard,$(BOOTLOADER_MODULE_PATH)/src/$(PLATFORM_NAME)/,sources.mk)
