# MAKE_OS = LINUX | OSX | WINDOWS
ifeq ($(OS),Windows_NT)
MAKE_OS = WINDOWS
else
UNAME_S := $(shell uname -s)
ifeq ($(UNAME_S),Linux)
MAKE_OS = LINUX
endif
ifeq ($(UNAME_S),Darwin)
MAKE_OS = OSX
endif
endif
