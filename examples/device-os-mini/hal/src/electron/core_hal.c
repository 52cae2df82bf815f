#include "core_hal.h"

const char* HAL_Core_Platform_Name(void)
{
    return "Electron";
}
