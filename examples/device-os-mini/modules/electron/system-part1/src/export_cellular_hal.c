#define DYNALIB_EXPORT
#include "hal_dynalib_cellular.h"
