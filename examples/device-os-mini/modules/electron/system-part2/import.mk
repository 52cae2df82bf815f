include ../../shared/system_module_version.mk
SYSTEM_PART1_MODULE_PATH ?= $(PROJECT_ROOT)/modules/electron/system-part2
