#pragma once

#include "dynalib.h"

#ifdef DYNALIB_EXPORT
#include "module_system_part_init.h"
#endif

DYNALIB_BEGIN(module_system_part3)
DYNALIB_FN(0, module_system_part3, module_system_part3_pre_init, void*(void))
DYNALIB_FN(1, module_system_part3, module_system_part3_init, void(void))
DYNALIB_END(module_system_part3)
