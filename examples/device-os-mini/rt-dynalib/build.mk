CSRC += $(call target_files,src/,*.c)

# the stubs are named like the C library's allocator
CFLAGS += -fno-builtin-malloc -fno-builtin-free -fno-builtin-realloc
