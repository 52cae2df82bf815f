# Defaults shared by every library and module: version, flags, output names.

# serial line speeds that make the device enter DFU / YMODEM mode
START_DFU_FLASHER_SERIAL_SPEED = 14400
START_YMODEM_FLASHER_SERIAL_SPEED = 28800

include $(COMMON_BUILD)/version.mk

ifeq ("$(DEBUG_BUILD)","y")
CFLAGS += -DDEBUG_BUILD
else
CFLAGS += -DRELEASE_BUILD
endif

WARNINGS_AS_ERRORS ?= y
ifeq ($(WARNINGS_AS_ERRORS),y)
CFLAGS += -Werror
endif

# include directories collected from the import.mk/include.mk files
CFLAGS += $(patsubst %,-I%,$(INCLUDE_DIRS)) -I.
# dependency file next to each output
CFLAGS += -MD -MP -MF $@.d
CFLAGS += -ffunction-sections -fdata-sections -Wall -Wno-switch -Wno-error=deprecated-declarations -fmessage-length=0
CFLAGS += -fno-strict-aliasing
CFLAGS += -DSPARK=1 -DPARTICLE=1
CFLAGS += -Werror=return-type
CFLAGS += -Wundef
CFLAGS += -DSTART_DFU_FLASHER_SERIAL_SPEED=$(START_DFU_FLASHER_SERIAL_SPEED)
CFLAGS += -DSTART_YMODEM_FLASHER_SERIAL_SPEED=$(START_YMODEM_FLASHER_SERIAL_SPEED)

CONLYFLAGS += -Wno-pointer-sign

LDFLAGS += $(LIBS_EXT)
LDFLAGS += $(patsubst %,-L%,$(LIB_DIRS))
LDFLAGS += -L$(COMMON_BUILD)/arm/linker
# every library archive is linked whole; --gc-sections drops what is unused
LDFLAGS += -Wl,--whole-archive $(patsubst %,-l%,$(LIBS)) -Wl,--no-whole-archive
LDFLAGS += $(LIBS_EXT_END)

ASFLAGS += -x assembler-with-cpp -fmessage-length=0

ifeq (y,$(MODULAR_FIRMWARE))
MODULAR_EXT = -m
endif

ifeq (y,$(COMPILE_LTO))
LTO_EXT = -lto
CFLAGS += -DPARTICLE_COMPILE_LTO
endif

ifeq ("$(TARGET_TYPE)","a")
TARGET_FILE_PREFIX = lib
endif

# TARGET_FILE_NAME: file name of the target without extension
# TARGET_NAME: the same with the lib prefix of archives
TARGET_NAME ?= $(TARGET_FILE_PREFIX)$(TARGET_FILE_NAME)
# outputs go straight into the build directory
TARGET_PATH ?= $(BUILD_PATH)/

TARGET_BASE_DIR ?= $(TARGET_PATH)$(TARGET_SEP)
TARGET_BASE ?= $(TARGET_BASE_DIR)$(TARGET_NAME)
TARGET ?= $(TARGET_BASE).$(TARGET_TYPE)

# build/target/<module>/platform-<id>-m
BUILD_PATH ?= $(BUILD_PATH_BASE)/$(MODULE)$(and $(BUILD_PATH_EXT),/$(BUILD_PATH_EXT))

BUILD_TARGET_PLATFORM = platform-$(PLATFORM_ID)$(MODULAR_EXT)$(LTO_EXT)
BUILD_PATH_EXT ?= $(BUILD_TARGET_PLATFORM)
