#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* (major << 24) | (minor << 16) | (patch << 8) | (0xFF for a final release) */
#define SYSTEM_VERSION_v231     0x020301FFu
#define SYSTEM_VERSION          SYSTEM_VERSION_v231

typedef struct SystemVersionInfo {
    uint16_t size;
    uint16_t module_version;
    uint32_t versionNumber;
    char versionString[20];
} SystemVersionInfo;

int system_version_info(SystemVersionInfo* info);

#ifdef __cplusplus
}
#endif
