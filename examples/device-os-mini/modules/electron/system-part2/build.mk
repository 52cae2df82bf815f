# index 1 needs the part with index 3 of this release
SYSTEM_PART1_MODULE_DEPENDENCY = $(MODULE_FUNCTION_SYSTEM_PART),3,$(SYSTEM_PART3_MODULE_VERSION)
include $(SHARED_MODULAR)/part1_build.mk
