/* this part allocates from the heap of the system part with index 2 */
#define DYNALIB_IMPORT
#include "rt_dynalib.h"
