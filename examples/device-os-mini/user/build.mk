# Collects the application sources: every *.cpp and *.c below the
# application directory, unless the directory has its own makefile fragment
# (USER_MAKEFILE, default <APP>.mk for APP=, build.mk otherwise) that sets
# CPPSRC/CSRC itself.

ifdef APP
USER_MAKEFILE ?= $(APP).mk
endif

ifdef APPDIR
SOURCE_PATH = $(call remove_slash,$(APPDIR))
# a project with project.properties and src/ keeps its sources in src/
# (vendored libraries in lib/ are not supported by this fixture)
ifneq ($(wildcard $(SOURCE_PATH)/project.properties),)
ifneq ($(wildcard $(SOURCE_PATH)/src),)
USRSRC = src
endif
endif
endif

USRSRC_SLASH = $(and $(USRSRC),$(USRSRC)/)
USER_MAKEFILE ?= build.mk
usrmakefile = $(wildcard $(SOURCE_PATH)/$(USRSRC_SLASH)$(USER_MAKEFILE))

ifeq ("$(usrmakefile)","")
INCLUDE_DIRS += $(SOURCE_PATH)/$(USRSRC)
CPPSRC += $(call target_files,$(USRSRC_SLASH),*.cpp)
CSRC += $(call target_files,$(USRSRC_SLASH),*.c)
APPSOURCES = $(call target_files,$(USRSRC_SLASH),*.cpp)
APPSOURCES += $(call target_files,$(USRSRC_SLASH),*.c)
ifeq ($(strip $(APPSOURCES)),)
$(error "No sources found in $(SOURCE_PATH)/$(USRSRC)")
endif
else
include $(usrmakefile)
endif

CFLAGS += -DSPARK_PLATFORM_NET=$(PLATFORM_NET)
BUILTINS_EXCLUDE = malloc free realloc
CFLAGS += $(addprefix -fno-builtin-,$(BUILTINS_EXCLUDE))
CFLAGS += $(value EXTRA_CFLAGS)
CFLAGS += -DLOG_INCLUDE_SOURCE_INFO=1
CFLAGS += -DPARTICLE_USER_MODULE

LOG_MODULE_CATEGORY = app
