/* import stubs for the services of the system part that exports them */
#define DYNALIB_IMPORT
#include "services_dynalib.h"
