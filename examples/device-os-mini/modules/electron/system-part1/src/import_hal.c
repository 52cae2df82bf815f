/* the HAL of the system part with index 2 */
#define DYNALIB_IMPORT
#include "hal_dynalib_core.h"
#include "hal_dynalib_gpio.h"
#include "hal_dynalib_usart.h"
