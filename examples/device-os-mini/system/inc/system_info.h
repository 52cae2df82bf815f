#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* JSON description of the installed modules, as printed by the serial 's' command */
int system_module_info(char* buffer, size_t size);

#ifdef __cplusplus
}
#endif
