# User part (the application): header at +0, followed by its table of entry points.

include $(SHARED_MODULAR)/include.mk

ifeq (,$(SYSTEM_PART2_MODULE_VERSION))
$(error SYSTEM_PART2_MODULE_VERSION not defined)
endif

# TARGET_FILE: file name of the output (without extension)
ifdef TARGET_FILE
TARGET_FILE_NAME = $(TARGET_FILE)
endif

# TARGET_DIR: directory of the output
ifdef TARGET_DIR
TARGET_PATH = $(TARGET_DIR)
endif

# APP=<name>: build/target/user-part/platform-<id>-m/<name>.bin
ifdef APP
TARGET_FILE_NAME ?= $(notdir $(APP))
endif

# APPDIR=<dir>: <dir>/target/<dir name>.bin, this module's objects in <dir>/target/obj
ifdef APPDIR
TARGET_FILE_NAME ?= $(notdir $(call remove_slash,$(APPDIR)))
ifdef TARGET_DIR
TARGET_PATH = $(TARGET_DIR)/
else
TARGET_PATH = $(APPDIR)/target/
endif
BUILD_PATH = $(TARGET_PATH)/obj
endif

GLOBAL_DEFINES += MODULE_VERSION=$(USER_PART_MODULE_VERSION)
GLOBAL_DEFINES += MODULE_FUNCTION=$(MODULE_FUNCTION_USER_PART)
GLOBAL_DEFINES += MODULE_INDEX=1
GLOBAL_DEFINES += MODULE_DEPENDENCY=$(MODULE_FUNCTION_SYSTEM_PART),2,$(SYSTEM_PART2_MODULE_VERSION)
GLOBAL_DEFINES += MODULE_DEPENDENCY2=0,0,0

LINKER_FILE = $(USER_PART_MODULE_PATH)/linker.ld
LINKER_DEPS += $(LINKER_FILE)
LINKER_DEPS += $(USER_PART_MODULE_PATH)/module_user_export.ld
LINKER_DEPS += $(SYSTEM_PART2_MODULE_PATH)/module_system_part2_export.ld
LINKER_DEPS += $(SYSTEM_PART1_MODULE_PATH)/module_system_part1_export.ld
ifneq (,$(MODULE_HAS_SYSTEM_PART3))
LINKER_DEPS += $(SYSTEM_PART3_MODULE_PATH)/module_system_part3_export.ld
endif
LINKER_DEPS += $(SHARED_MODULAR)/user.ld

LDFLAGS += -lnosys
ifneq (,$(MODULE_HAS_SYSTEM_PART3))
LDFLAGS += -L$(SYSTEM_PART3_MODULE_PATH)
endif
LDFLAGS += -L$(SYSTEM_PART2_MODULE_PATH)
LDFLAGS += -L$(SYSTEM_PART1_MODULE_PATH)
LDFLAGS += -L$(USER_PART_MODULE_PATH)
LDFLAGS += -T$(LINKER_FILE)
LDFLAGS += -Wl,--defsym,USER_FIRMWARE_IMAGE_SIZE=$(USER_FIRMWARE_IMAGE_SIZE)
LDFLAGS += -Wl,--defsym,USER_FIRMWARE_IMAGE_LOCATION=$(USER_FIRMWARE_IMAGE_LOCATION)
LDFLAGS += -Wl,-Map,$(TARGET_BASE).map

BUILTINS_EXCLUDE = malloc free realloc
CFLAGS += $(addprefix -fno-builtin-,$(BUILTINS_EXCLUDE))
