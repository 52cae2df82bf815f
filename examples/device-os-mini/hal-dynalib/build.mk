CSRC += $(call target_files,src/,*.c)
