# dynalib is header-only: module_info and the dynamic-linking macros
DYNALIB_MODULE_PATH ?= $(PROJECT_ROOT)/dynalib
include $(call rwildcard,$(DYNALIB_MODULE_PATH)/,include.mk)
