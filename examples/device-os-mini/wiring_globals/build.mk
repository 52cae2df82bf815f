CPPSRC += $(call target_files,src/,*.cpp)
