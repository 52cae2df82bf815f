#define DYNALIB_EXPORT
#include "rt_dynalib.h"
