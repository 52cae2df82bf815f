#pragma once

/*
 * Static initialisation of a module that is not started by the bootloader:
 * copy .data from flash, clear .bss, run the constructors. The symbols are
 * those of the module's own link (module_sections.ld).
 */

#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

extern char link_global_data_initial_values;
extern char link_global_data_start;
extern char link_global_data_end;
extern char link_bss_location;
extern char link_bss_end;
extern void (*const link_constructors_location[])(void);
extern void (*const link_constructors_end[])(void);

static inline void* module_static_data_init(void)
{
    memcpy(&link_global_data_start, &link_global_data_initial_values,
            (size_t)(&link_global_data_end - &link_global_data_start));
    memset(&link_bss_location, 0, (size_t)(&link_bss_end - &link_bss_location));
    return &link_bss_end;
}

static inline void module_run_constructors(void)
{
    for (void (*const* ctor)(void) = link_constructors_location; ctor < link_constructors_end; ctor++) {
        (*ctor)();
    }
}

#ifdef __cplusplus
}
#endif
