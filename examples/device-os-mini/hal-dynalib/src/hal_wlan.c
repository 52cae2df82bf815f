/* Wi-Fi HAL of the Photon and P1 (system part 2) */
#if PLATFORM_ID == 6 || PLATFORM_ID == 8
#define DYNALIB_IMPORT
#include "hal_dynalib_wlan.h"
#endif
