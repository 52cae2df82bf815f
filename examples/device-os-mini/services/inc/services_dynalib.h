#pragma once

#include "dynalib.h"

#ifdef DYNALIB_EXPORT
#include "logging.h"
#include "panic.h"
#include "led_service.h"
#include "system_error.h"
#include "str_util.h"
#include "json_util.h"
#endif

DYNALIB_BEGIN(services)
DYNALIB_FN(0, services, log_message, void(int, const char*, const char*))
DYNALIB_FN(1, services, log_printf, void(int, const char*, const char*, ...))
DYNALIB_FN(2, services, log_set_output, void(log_output_fn, int))
DYNALIB_FN(3, services, log_enabled, int(int))
DYNALIB_FN(4, services, panic_, void(int, const char*))
DYNALIB_FN(5, services, led_set_status, void(uint32_t, int, int))
DYNALIB_FN(6, services, led_clear_status, void(int))
DYNALIB_FN(7, services, led_current_color, uint32_t(void))
DYNALIB_FN(8, services, led_service_update, void(uint32_t))
DYNALIB_FN(9, services, system_error_message, const char*(int))
DYNALIB_FN(10, services, str_from_uint, size_t(char*, size_t, uint32_t, unsigned))
DYNALIB_FN(11, services, json_find_value, int(const char*, const char*, char*, size_t))
DYNALIB_END(services)
