INCLUDE_DIRS += $(BOOTLOADER_MODULE_PATH)/src/photon
include $(BOOTLOADER_MODULE_PATH)/src/stm32f2xx/include.mk
