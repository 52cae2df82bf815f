include ../../shared/system_module_version.mk
SYSTEM_PART3_MODULE_PATH ?= $(PROJECT_ROOT)/modules/electron/system-part1
MODULE_HAS_SYSTEM_PART3 = 1
