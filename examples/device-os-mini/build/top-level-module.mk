# Included by every directory that make is run in (libraries and modules).
# The project root defaults to the parent directory.
PROJECT_ROOT ?= ..
MODULE_PATH = .
COMMON_BUILD = $(PROJECT_ROOT)/build
BUILD_PATH_BASE ?= $(COMMON_BUILD)/target

include $(COMMON_BUILD)/platform-id.mk
include $(COMMON_BUILD)/checks.mk
