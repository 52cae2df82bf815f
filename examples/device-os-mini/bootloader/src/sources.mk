BOOTLOADER_SRC_COMMON_PATH = $(BOOTLOADER_MODULE_PATH)/src

CSRC += $(call target_files,$(BOOTLOADER_SRC_COMMON_PATH)/,main.c)
CSRC += $(call target_files,$(BOOTLOADER_SRC_COMMON_PATH)/,module_info.c)
