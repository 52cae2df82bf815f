#pragma once

#include "dynalib.h"

#ifdef DYNALIB_EXPORT
#include "system_mode.h"
#include "system_task.h"
#include "system_version.h"
#include "system_sleep.h"
#include "system_threading.h"
#include "system_info.h"
#endif

DYNALIB_BEGIN(system)
DYNALIB_FN(0, system, system_mode, System_Mode_TypeDef(void))
DYNALIB_FN(1, system, set_system_mode, void(System_Mode_TypeDef))
DYNALIB_FN(2, system, system_delay_ms, void(uint32_t, int))
DYNALIB_FN(3, system, system_uptime_ms, uint32_t(void))
DYNALIB_FN(4, system, system_version_info, int(SystemVersionInfo*))
DYNALIB_FN(5, system, system_reset, void(int))
DYNALIB_FN(6, system, system_sleep, int(uint32_t, int))
DYNALIB_FN(7, system, system_thread_get_state, int(void))
DYNALIB_FN(8, system, system_module_info, int(char*, size_t))
DYNALIB_END(system)
