CSRC += $(call target_files,src/,*.c)
CPPSRC += $(call target_files,src/,*.cpp)

LOG_MODULE_CATEGORY = service
