#define DYNALIB_EXPORT
#include "services_dynalib.h"
