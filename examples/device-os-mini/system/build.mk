CPPSRC += $(call target_files,src/,*.cpp)

LOG_MODULE_CATEGORY = system
