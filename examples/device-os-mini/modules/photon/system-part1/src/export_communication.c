#define DYNALIB_EXPORT
#include "communication_dynalib.h"
