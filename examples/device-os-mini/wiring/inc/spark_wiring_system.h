#pragma once

#include <stdint.h>
#include "system_mode.h"
#include "system_version.h"
#include "spark_wiring_string.h"

class SystemClass {
public:
    static void reset();
    static void dfu(bool persist = false);
    static System_Mode_TypeDef mode() { return system_mode(); }
    static String version();
    static uint32_t versionNumber() { return SYSTEM_VERSION; }
    static uint32_t uptime();
    static bool sleep(uint32_t seconds);

    // the module this copy of wiring was compiled for
    static uint8_t moduleFunction();
    static uint8_t moduleIndex();
    static const char* moduleName();
};

extern SystemClass System;

// Sets the system mode before setup() runs: SYSTEM_MODE(SEMI_AUTOMATIC);
struct SystemModeSetter {
    explicit SystemModeSetter(System_Mode_TypeDef mode) { set_system_mode(mode); }
};
#define SYSTEM_MODE(mode) SystemModeSetter __system_mode_setter(mode)
