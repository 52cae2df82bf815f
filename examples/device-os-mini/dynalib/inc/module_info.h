#pragma once

/*
 * The module header (module_info_t, 24 bytes, little-endian) and the module
 * suffix found at the end of every module image.
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* module_info_t.module_function */
#define MOD_FUNC_NONE           0
#define MOD_FUNC_RESOURCE       1
#define MOD_FUNC_BOOTLOADER     2
#define MOD_FUNC_MONO_FIRMWARE  3
#define MOD_FUNC_SYSTEM_PART    4
#define MOD_FUNC_USER_PART      5
#define MOD_FUNC_SETTINGS       6
#define MOD_FUNC_NCP_FIRMWARE   7
#define MOD_FUNC_RADIO_STACK    8

/* module_info_t.flags */
#define MODULE_INFO_FLAG_NONE              0x00
#define MODULE_INFO_FLAG_DROP_MODULE_INFO  0x01
#define MODULE_INFO_FLAG_COMPRESSED        0x02
#define MODULE_INFO_FLAG_COMBINED          0x04

/* Header offset of modules that start with a vector table (97 words) */
#define MODULE_VECTOR_TABLE_SIZE 0x184

typedef struct __attribute__((packed)) module_dependency_t {
    uint8_t module_function;
    uint8_t module_index;
    uint16_t module_version;
} module_dependency_t;

typedef struct __attribute__((packed)) module_info_t {
    const void* module_start_address;   /* first byte of the module */
    const void* module_end_address;     /* where the CRC-32 starts */
    uint8_t reserved;
    uint8_t flags;
    uint16_t module_version;
    uint16_t platform_id;
    uint8_t module_function;
    uint8_t module_index;
    module_dependency_t dependency;
    module_dependency_t dependency2;
} module_info_t;

/* Precedes the CRC: reserved, SHA-256 of the module up to here, suffix size */
typedef struct __attribute__((packed)) module_info_suffix_t {
    uint16_t reserved;
    uint8_t sha[32];
    uint16_t size;
} module_info_suffix_t;

/* The last 4 bytes of a module: CRC-32, stored big-endian by the build */
typedef struct __attribute__((packed)) module_info_crc_t {
    uint32_t crc32;
} module_info_crc_t;

#ifdef __cplusplus
static_assert(sizeof(module_info_t) == 24, "module_info_t must be 24 bytes");
static_assert(sizeof(module_info_suffix_t) == 36, "module_info_suffix_t must be 36 bytes");
#else
_Static_assert(sizeof(module_info_t) == 24, "module_info_t must be 24 bytes");
_Static_assert(sizeof(module_info_suffix_t) == 36, "module_info_suffix_t must be 36 bytes");
#endif

/* this module's header (defined by module_info.inc) */
extern const module_info_t module_info;

#ifdef __cplusplus
}
#endif
