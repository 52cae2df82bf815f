# Included by every Photon/P1 module makefile: the modular layout.
SHARED_MODULAR = $(PROJECT_ROOT)/modules/shared/stm32f2xx

MODULAR_FIRMWARE = y
# passed on to the module sub-makes by modules/makefile
MAKE_ARGS += MODULAR_FIRMWARE=y

USER_FIRMWARE_IMAGE_SIZE = 0x20000
USER_FIRMWARE_IMAGE_LOCATION = 0x80A0000

# defines every library built for a module gets (see recurse.mk)
GLOBAL_DEFINES += USER_FIRMWARE_IMAGE_SIZE=$(USER_FIRMWARE_IMAGE_SIZE)
GLOBAL_DEFINES += USER_FIRMWARE_IMAGE_LOCATION=$(USER_FIRMWARE_IMAGE_LOCATION)
GLOBAL_DEFINES += MODULAR_FIRMWARE=1

export PLATFORM_ID ?= 6
