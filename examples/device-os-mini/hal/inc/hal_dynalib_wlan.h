#pragma once

#include "dynalib.h"

#ifdef DYNALIB_EXPORT
#include "wlan_hal.h"
#endif

DYNALIB_BEGIN(hal_wlan)
DYNALIB_FN(0, hal_wlan, wlan_connect, int(void))
DYNALIB_FN(1, hal_wlan, wlan_disconnect, int(void))
DYNALIB_FN(2, hal_wlan, wlan_ready, int(void))
DYNALIB_FN(3, hal_wlan, wlan_rssi, int(void))
DYNALIB_END(hal_wlan)
