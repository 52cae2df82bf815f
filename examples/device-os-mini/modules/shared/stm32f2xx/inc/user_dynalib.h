#pragma once

#include "dynalib.h"

#ifdef DYNALIB_EXPORT
#include "system_user.h"
#endif

DYNALIB_BEGIN(user)
DYNALIB_FN(0, user, module_user_pre_init, void*(void))
DYNALIB_FN(1, user, module_user_init, void(void))
DYNALIB_FN(2, user, module_user_setup, void(void))
DYNALIB_FN(3, user, module_user_loop, void(void))
DYNALIB_END(user)
