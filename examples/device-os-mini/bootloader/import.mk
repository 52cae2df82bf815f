BOOTLOADER_MODULE_PATH ?= $(PROJECT_ROOT)/bootloader
# BOOTLOADER_VERSION is defined with the other module versions
include $(BOOTLOADER_MODULE_PATH)/../modules/shared/system_module_version.mk
BOOTLOADER_BUILD_PATH_EXT = $(BUILD_TARGET_PLATFORM)

# include directories of src/<platform>
include $(call rwildcard,$(BOOTLOADER_MODULE_PATH)/src/$(PLATFORM_NAME)/,include.mk)
