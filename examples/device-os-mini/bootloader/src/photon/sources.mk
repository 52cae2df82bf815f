BOOTLOADER_SRC_PHOTON_PATH = $(BOOTLOADER_MODULE_PATH)/src/photon
include $(BOOTLOADER_MODULE_PATH)/src/stm32f2xx/sources.mk

CSRC += $(call target_files,$(BOOTLOADER_SRC_PHOTON_PATH)/,*.c)
