SHELL = /bin/bash

RM = rm -f
RMDIR = rm -f -r
MKDIR = mkdir -p

# GCC_ARM_PATH: directory of the cross compiler, with a trailing slash (default: PATH)
# GCC_PREFIX: prefix of the tool names
CC = $(GCC_ARM_PATH)$(GCC_PREFIX)gcc
CPP = $(GCC_ARM_PATH)$(GCC_PREFIX)g++
AR = $(GCC_ARM_PATH)$(GCC_PREFIX)ar
OBJCOPY = $(GCC_ARM_PATH)$(GCC_PREFIX)objcopy
OBJDUMP = $(GCC_ARM_PATH)$(GCC_PREFIX)objdump
SIZE = $(GCC_ARM_PATH)$(GCC_PREFIX)size
DFU = dfu-util
DFUSUFFIX = dfu-suffix
CRC = crc32
XXD = xxd

# the post-link step needs crc32 (Debian/Ubuntu: libarchive-zip-perl)
crc32_path := $(shell which $(CRC) 2>/dev/null)
ifeq ("$(crc32_path)","")
$(error "$(CRC) tool is not found")
endif
