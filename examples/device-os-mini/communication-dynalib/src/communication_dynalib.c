/* import stubs for the cloud protocol of the system part that exports it */
#define DYNALIB_IMPORT
#include "communication_dynalib.h"
