#define DYNALIB_EXPORT
#include "hal_dynalib_core.h"
#include "hal_dynalib_gpio.h"
#include "hal_dynalib_usart.h"
#include "hal_dynalib_wlan.h"
