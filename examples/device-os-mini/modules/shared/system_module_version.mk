# Module versions of the system parts of this Device OS release (2.3.1).
COMMON_MODULE_VERSION ?= 2302
SYSTEM_PART1_MODULE_VERSION ?= $(COMMON_MODULE_VERSION)
SYSTEM_PART2_MODULE_VERSION ?= $(COMMON_MODULE_VERSION)
SYSTEM_PART3_MODULE_VERSION ?= $(COMMON_MODULE_VERSION)

# versions of older releases that dependencies refer to
RELEASE_064_MODULE_VERSION = 110
RELEASE_070_MODULE_VERSION = 207

# Photon/P1: system part 1 needs system part 2 of at least 0.7.0 (an OTA
# update from 0.6.x must replace part 2 first)
ifneq (,$(filter $(PLATFORM_ID),6 8))
SYSTEM_PART1_MODULE_DEPENDENCY ?= $(MODULE_FUNCTION_SYSTEM_PART),2,$(RELEASE_070_MODULE_VERSION)
endif

# Electron: the part with index 3 needs index 2 of at least 0.6.4
ifneq (,$(filter $(PLATFORM_ID),10))
SYSTEM_PART3_MODULE_DEPENDENCY ?= $(MODULE_FUNCTION_SYSTEM_PART),2,$(RELEASE_064_MODULE_VERSION)
endif

# version of the user part's own header (not the application's version)
USER_PART_MODULE_VERSION ?= 6

# bootloader of this release, and the oldest one the system part 2 accepts
BOOTLOADER_VERSION ?= 1006
ifeq ($(PLATFORM_GEN),2)
BOOTLOADER_DEPENDENCY = 1003
else
BOOTLOADER_DEPENDENCY = 0
endif
