#define DYNALIB_EXPORT
#include "module_system_part3.h"
#include "system_part3_loader.inc"
