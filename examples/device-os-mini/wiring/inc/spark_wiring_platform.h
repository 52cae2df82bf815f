#pragma once

/* which network classes the platform has */
#if PLATFORM_ID == 6 || PLATFORM_ID == 8
#define Wiring_WiFi 1
#define Wiring_Cellular 0
#elif PLATFORM_ID == 10
#define Wiring_WiFi 0
#define Wiring_Cellular 1
#else
#error "Unsupported platform"
#endif

/*
 * wiring is compiled into the system part that holds the system firmware
 * (MODULE_FUNCTION 4) and into the user part (MODULE_FUNCTION 5); in the user
 * part it reaches the system only through the dynamically linked tables.
 */
#include "module_info.h"
#if defined(MODULE_FUNCTION) && MODULE_FUNCTION == MOD_FUNC_USER_PART
#define WIRING_IN_USER_PART 1
#else
#define WIRING_IN_USER_PART 0
#endif
