#define DYNALIB_IMPORT
#include "module_system_part3.h"
