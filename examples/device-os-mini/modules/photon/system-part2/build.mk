include $(SHARED_MODULAR)/part2_build.mk

ASRC += $(COMMON_BUILD)/arm/startup/startup_$(STM32_DEVICE_LC).S
