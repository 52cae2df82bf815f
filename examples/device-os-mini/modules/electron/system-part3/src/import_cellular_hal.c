/* the modem driver of the part with index 3 */
#define DYNALIB_IMPORT
#include "hal_dynalib_cellular.h"
