# Entry point for every library and module makefile: platform, tools, rules.
this_mk := $(abspath $(lastword $(MAKEFILE_LIST)))
this_dir := $(patsubst %/,%,$(dir $(this_mk)))

include $(this_dir)/top-level-module.mk

ifeq ("$(ARCH)","arm")
include $(this_dir)/arm-tools.mk
else
$(error "Unknown architecture '$(ARCH)'")
endif

include $(COMMON_BUILD)/lang-std.mk
include $(COMMON_BUILD)/module.mk
