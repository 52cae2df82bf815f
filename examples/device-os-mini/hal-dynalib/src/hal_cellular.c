/* cellular HAL of the Electron (system part with index 3) */
#if PLATFORM_ID == 10
#define DYNALIB_IMPORT
#include "hal_dynalib_cellular.h"
#endif
