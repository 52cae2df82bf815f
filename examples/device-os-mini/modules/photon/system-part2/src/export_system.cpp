#define DYNALIB_EXPORT
#include "system_dynalib.h"
#include "system_dynalib_cloud.h"
#include "system_dynalib_net.h"
