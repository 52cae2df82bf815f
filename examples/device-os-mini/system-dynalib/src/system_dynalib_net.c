#define DYNALIB_IMPORT
#include "system_dynalib_net.h"
