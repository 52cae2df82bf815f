#define DYNALIB_IMPORT
#include "hal_dynalib_core.h"
