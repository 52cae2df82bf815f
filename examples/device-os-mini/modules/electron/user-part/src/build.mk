CPPSRC += $(call target_files,src/,*.cpp)
CSRC += $(call target_files,src/,*.c)
