#define DYNALIB_IMPORT
#include "system_dynalib.h"
