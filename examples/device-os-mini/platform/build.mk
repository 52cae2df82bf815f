# MCU specific sources, then those shared by all MCUs
PLATFORM_MCU_SRC_PATH = MCU/$(PLATFORM_MCU)/src
CSRC += $(call target_files,$(PLATFORM_MCU_SRC_PATH)/,*.c)
CSRC += $(call target_files,shared/src/,*.c)
