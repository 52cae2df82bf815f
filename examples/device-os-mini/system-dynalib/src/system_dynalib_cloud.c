#define DYNALIB_IMPORT
#include "system_dynalib_cloud.h"
