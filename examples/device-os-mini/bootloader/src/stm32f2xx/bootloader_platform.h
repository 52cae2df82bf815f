#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The slot of the system part that starts with a vector table (the one the
 * bootloader starts) and its size; defined in src/<platform>/. */
uint32_t bootloader_start_slot(void);
uint32_t bootloader_start_slot_size(void);

#ifdef __cplusplus
}
#endif
