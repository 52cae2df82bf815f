# Where the application sources are (USRSRC, relative to SOURCE_PATH):
#   (default)       user/src
#   APP=<name>      user/applications/<name>
#   APPDIR=<dir>    the directory <dir> itself (SOURCE_PATH = APPDIR, see build.mk)
USRSRC = src
ifdef APP
USRSRC := applications/$(APP)
endif
ifdef APPDIR
USRSRC :=
USER_BUILD_DIR = $(notdir $(call remove_slash,$(APPDIR)))
endif

USER_BUILD_DIR ?= $(if $(USRSRC),$(USRSRC),default)
USER_MODULE_PATH ?= $(PROJECT_ROOT)/user

# the application is archived into build/target/user/platform-<id>-m/<USER_BUILD_DIR>/libuser.a
USER_BUILD_PATH_EXT = $(BUILD_TARGET_PLATFORM)/$(USER_BUILD_DIR)
USER_LIB_DIR = $(BUILD_PATH_BASE)/user/$(USER_BUILD_PATH_EXT)
USER_LIB_DEP = $(USER_LIB_DIR)/libuser.a

include $(call rwildcard,$(USER_MODULE_PATH)/inc/,include.mk)
