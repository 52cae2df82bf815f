# platform sources, then those shared by the STM32F2 platforms
CSRC += $(call target_files,src/$(PLATFORM_NAME)/,*.c)
CSRC += $(call target_files,src/stm32f2xx/,*.c)

LOG_MODULE_CATEGORY = hal
