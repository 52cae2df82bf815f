#pragma once

/* The C library allocator of the system part, shared with the other modules. */

#include "dynalib.h"

#ifdef DYNALIB_EXPORT
#include <stdlib.h>
#endif

DYNALIB_BEGIN(rt)
DYNALIB_FN(0, rt, malloc, void*(size_t))
DYNALIB_FN(1, rt, free, void(void*))
DYNALIB_FN(2, rt, realloc, void*(void*, size_t))
DYNALIB_END(rt)
