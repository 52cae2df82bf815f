# ARM cross tools and the flags every Gen 2 (cortex-m3) build uses.
GCC_PREFIX ?= arm-none-eabi-

include $(COMMON_BUILD)/common-tools.mk

# archives are made with the LTO-aware wrapper
AR = $(GCC_ARM_PATH)$(GCC_PREFIX)gcc-ar

ifeq ("$(ARM_CPU)","cortex-m3")
CFLAGS += -g3 -gdwarf-2 -Os -mcpu=cortex-m3 -mthumb
CPPFLAGS += -fno-exceptions -fno-rtti -fcheck-new
ASFLAGS += -g3 -gdwarf-2 -mcpu=cortex-m3 -mthumb
LDFLAGS += -nostartfiles -Xlinker --gc-sections
else
$(error "Unsupported ARM_CPU '$(ARM_CPU)'")
endif

# global destructors are never run on the device
CPPFLAGS += -fno-use-cxa-atexit
LDFLAGS += -fno-use-cxa-atexit

COMPILE_LTO ?= n
ifeq ($(COMPILE_LTO),y)
LDFLAGS += -flto -Os -fuse-linker-plugin
else
LDFLAGS += -fno-lto
endif

# newlib-nano for all platforms
CFLAGS += --specs=nano.specs

# minimum compiler version for Device OS 2.x
arm_gcc_version := $(shell $(CC) -dumpversion)
arm_gcc_required := 9.2.1
ifneq ($(arm_gcc_required),$(firstword $(shell printf '%s\n' $(arm_gcc_required) $(arm_gcc_version) | sort -V)))
$(error "ARM gcc version $(arm_gcc_required) or later required, but found $(arm_gcc_version)")
endif
