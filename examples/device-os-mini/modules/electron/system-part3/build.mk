include $(SHARED_MODULAR)/part2_build.mk

ASRC += $(COMMON_BUILD)/arm/startup/startup_$(STM32_DEVICE_LC)_electron.S
ASFLAGS += -Wa,--defsym -Wa,SPARK_INIT_STARTUP=1
LDFLAGS += -Wl,--defsym,__STACKSIZE__=1400
