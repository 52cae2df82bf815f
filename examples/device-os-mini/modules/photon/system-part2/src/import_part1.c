#define DYNALIB_IMPORT
#include "module_system_part1.h"
