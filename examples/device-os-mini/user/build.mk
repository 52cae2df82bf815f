# Collects the application sources: every *.cpp and *.c below the
# application directory, unless the directory has its own makefile fragment
# (USER_MAKEFILE, default <APP>.mk for APP=, build.mk otherwise) that sets
# CPPSRC/CSRC itself.

ifdef APP
USER_MAKEFILE ?= $(APP).mk
endif

# Vendored libraries given on the command line: APPLIBSV1 (all sources below
# each directory) and APPLIBSV2 (sources below <dir>/src). They reach the
# library lists of build/module.mk only while the user module is built.
MODULE_LIBSV1 += $(call remove_slash,$(APPLIBSV1))
MODULE_LIBSV2 += $(call remove_slash,$(APPLIBSV2))

ifdef APPDIR
SOURCE_PATH = $(call remove_slash,$(APPDIR))
endif

# Three application layouts, as `particle project create` and Device OS know them:
#   legacy    no project.properties: every source below the application directory
#   simple    project.properties, no src/: the same
#   extended  project.properties and src/: sources in src/, and each directory
#             in lib/ is a v2 library (its sources and headers in lib/<name>/src)
APPROOT := $(SOURCE_PATH)$(USRSRC)
ifeq ($(wildcard $(APPROOT)/project.properties),)
APPLAYOUT = legacy
else ifeq ($(wildcard $(APPROOT)/src),)
APPLAYOUT = simple
else
APPLAYOUT = extended
endif

ifeq ($(APPLAYOUT),extended)
MODULE_LIBSV2 += $(wildcard $(APPROOT)/lib/*)
# (the trailing slash gives source paths like <app>//src/x.cpp, as in Device OS)
SOURCE_PATH := $(APPROOT)/
USRSRC = src
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
