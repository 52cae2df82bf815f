CSRC += $(call target_files,microsha/,*.c)
