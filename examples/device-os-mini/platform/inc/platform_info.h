#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Which module this copy of the platform library was compiled for. The
 * library is linked into every module, so it is compiled with each module's
 * MODULE_FUNCTION / MODULE_INDEX / MODULE_VERSION.
 */
typedef struct platform_module_tag_t {
    uint16_t platform_id;
    uint8_t module_function;
    uint8_t module_index;
    uint16_t module_version;
    uint16_t reserved;
    uint32_t slot_address;
} platform_module_tag_t;

const platform_module_tag_t* platform_module_tag(void);
void platform_init(void);
uint32_t platform_flash_slot(void);
const char* platform_name(void);

#ifdef __cplusplus
}
#endif
