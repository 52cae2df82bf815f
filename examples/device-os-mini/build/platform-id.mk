ifeq ($(included_platform_id_mk),)
included_platform_id_mk := 1

# Maps PLATFORM (a name) to PLATFORM_ID and defines, per platform:
# PLATFORM_NAME  - base platform, used to find per-platform sources (photon for the P1)
# PLATFORM_GEN   - device generation
# PLATFORM_MCU   - MCU family, PLATFORM_NET - network subsystem
# PLATFORM_DYNALIB_MODULES - directory under modules/ holding the module set
# USBD_VID_SPARK / USBD_PID_DFU / USBD_PID_CDC - USB ids
# Only the Gen 2 modular platforms are part of this fixture.

ifneq (,$(PLATFORM))
ifeq ("$(PLATFORM)","photon")
PLATFORM_ID = 6
endif
ifeq ("$(PLATFORM)","P1")
PLATFORM_ID = 8
endif
ifeq ("$(PLATFORM)","p1")
PLATFORM_ID = 8
endif
ifeq ("$(PLATFORM)","electron")
PLATFORM_ID = 10
endif
ifeq (,$(PLATFORM_ID))
$(error "Unknown platform: $(PLATFORM)")
endif
endif

ifndef PLATFORM_ID
$(error "PLATFORM or PLATFORM_ID not set. Please specify the platform to build.")
endif

ARCH = arm

ifeq ("$(PLATFORM_ID)","6")
PLATFORM = photon
PLATFORM_NAME = photon
PLATFORM_GEN = 2
PLATFORM_MCU = STM32F2xx
PLATFORM_NET = BCM9WCDUSI09
STM32_DEVICE = STM32F2XX
PRODUCT_DESC = Production Photon
USBD_VID_SPARK = 0x2B04
USBD_PID_DFU = 0xD006
USBD_PID_CDC = 0xC006
PLATFORM_DYNALIB_MODULES = photon
DEFAULT_PRODUCT_ID = 6
ARM_CPU = cortex-m3
endif

ifeq ("$(PLATFORM_ID)","8")
PLATFORM = P1
PLATFORM_NAME = photon
PLATFORM_GEN = 2
PLATFORM_MCU = STM32F2xx
PLATFORM_NET = BCM9WCDUSI14
STM32_DEVICE = STM32F2XX
PRODUCT_DESC = Production P1
USBD_VID_SPARK = 0x2B04
USBD_PID_DFU = 0xD008
USBD_PID_CDC = 0xC008
PLATFORM_DYNALIB_MODULES = photon
DEFAULT_PRODUCT_ID = 8
ARM_CPU = cortex-m3
endif

ifeq ("$(PLATFORM_ID)","10")
PLATFORM = electron
PLATFORM_NAME = electron
PLATFORM_GEN = 2
PLATFORM_MCU = STM32F2xx
PLATFORM_NET = UBLOXSARA
STM32_DEVICE = STM32F2XX
PRODUCT_DESC = Production Electron
USBD_VID_SPARK = 0x2B04
USBD_PID_DFU = 0xD00A
USBD_PID_CDC = 0xC00A
PLATFORM_DYNALIB_MODULES = electron
DEFAULT_PRODUCT_ID = 10
ARM_CPU = cortex-m3
endif

ifeq ("$(PLATFORM_MCU)","")
$(error "PLATFORM_MCU not defined. Check platform id $(PLATFORM_ID)")
endif

ifeq ("$(STM32_DEVICE)","STM32F2XX")
PLATFORM_DFU ?= 0x08020000
PLATFORM_THREADING = 1
endif

# lower case STM32_DEVICE, used in file names
STM32_DEVICE_LC = $(shell echo $(STM32_DEVICE) | tr A-Z a-z)

CFLAGS += -DSTM32_DEVICE -D$(STM32_DEVICE)

ifeq ("$(PRODUCT_ID)","")
PRODUCT_ID = $(DEFAULT_PRODUCT_ID)
endif

PLATFORM_THREADING ?= 0
CFLAGS += -DPLATFORM_THREADING=$(PLATFORM_THREADING)
CFLAGS += -DPLATFORM_ID=$(PLATFORM_ID) -DPLATFORM_NAME=$(PLATFORM) -DPLATFORM_GEN=$(PLATFORM_GEN)
CFLAGS += -DUSBD_VID_SPARK=$(USBD_VID_SPARK)
CFLAGS += -DUSBD_PID_DFU=$(USBD_PID_DFU)
CFLAGS += -DUSBD_PID_CDC=$(USBD_PID_CDC)

# module_info_t function codes
MODULE_FUNCTION_NONE            := 0
MODULE_FUNCTION_RESOURCE        := 1
MODULE_FUNCTION_BOOTLOADER      := 2
MODULE_FUNCTION_MONO_FIRMWARE   := 3
MODULE_FUNCTION_SYSTEM_PART     := 4
MODULE_FUNCTION_USER_PART       := 5
MODULE_FUNCTION_SETTINGS        := 6
MODULE_FUNCTION_NCP_FIRMWARE    := 7
MODULE_FUNCTION_RADIO_STACK     := 8

endif
