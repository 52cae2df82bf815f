#pragma once

#include "dynalib.h"

#ifdef DYNALIB_EXPORT
#include "cellular_hal.h"
#endif

DYNALIB_BEGIN(hal_cellular)
DYNALIB_FN(0, hal_cellular, cellular_on, int(void))
DYNALIB_FN(1, hal_cellular, cellular_connect, int(const char*))
DYNALIB_FN(2, hal_cellular, cellular_ready, int(void))
DYNALIB_FN(3, hal_cellular, cellular_signal, int(void))
DYNALIB_END(hal_cellular)
