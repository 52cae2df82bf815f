#define DYNALIB_EXPORT
#include "module_system_part1.h"
#include "system_part1_loader.inc"
