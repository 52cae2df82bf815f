#pragma once

#include "dynalib.h"

#ifdef DYNALIB_EXPORT
#include "core_hal.h"
#include "delay_hal.h"
#include "timer_hal.h"
#include "rtc_hal.h"
#endif

DYNALIB_BEGIN(hal_core)
DYNALIB_FN(0, hal_core, HAL_Core_Init, void(void))
DYNALIB_FN(1, hal_core, HAL_Core_System_Reset, void(void))
DYNALIB_FN(2, hal_core, HAL_Core_Enter_DFU_Mode, void(int))
DYNALIB_FN(3, hal_core, HAL_Core_Compute_CRC32, uint32_t(const uint8_t*, uint32_t))
DYNALIB_FN(4, hal_core, HAL_device_id, unsigned(uint8_t*, unsigned))
DYNALIB_FN(5, hal_core, HAL_Delay_Milliseconds, void(uint32_t))
DYNALIB_FN(6, hal_core, HAL_Delay_Microseconds, void(uint32_t))
DYNALIB_FN(7, hal_core, HAL_Timer_Get_Milli_Seconds, uint32_t(void))
DYNALIB_FN(8, hal_core, HAL_Timer_Get_Micro_Seconds, uint32_t(void))
DYNALIB_FN(9, hal_core, HAL_RTC_Get_UnixTime, uint32_t(void))
DYNALIB_FN(10, hal_core, HAL_RTC_Set_UnixTime, void(uint32_t))
DYNALIB_FN(11, hal_core, HAL_Core_Platform_Name, const char*(void))
DYNALIB_END(hal_core)
