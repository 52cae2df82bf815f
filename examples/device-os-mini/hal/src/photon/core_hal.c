#include "core_hal.h"

const char* HAL_Core_Platform_Name(void)
{
#if PLATFORM_ID == 8
    return "P1";
#else
    return "Photon";
#endif
}
