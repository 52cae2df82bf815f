/* malloc/free/realloc of the system part (index 2) */
#define DYNALIB_IMPORT
#include "rt_dynalib.h"
