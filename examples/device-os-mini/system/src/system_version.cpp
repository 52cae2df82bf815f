#include <string.h>
#include "system_version.h"

#define SYSTEM_STRINGIFY_(x) #x
#define SYSTEM_STRINGIFY(x) SYSTEM_STRINGIFY_(x)

#ifndef MODULE_VERSION
#define MODULE_VERSION 0
#endif

static_assert(sizeof(SYSTEM_STRINGIFY(SYSTEM_VERSION_STRING)) <= sizeof(SystemVersionInfo::versionString),
        "version string too long");

extern "C" int system_version_info(SystemVersionInfo* info) {
    if (!info) {
        return -1;
    }
    info->size = sizeof(SystemVersionInfo);
    info->module_version = MODULE_VERSION;
    info->versionNumber = SYSTEM_VERSION;
    strcpy(info->versionString, SYSTEM_STRINGIFY(SYSTEM_VERSION_STRING));
    return 0;
}
