#include "spark_wiring.h"
#include "system_task.h"
#include "system_sleep.h"
#include "core_hal.h"

/*
 * The same source is compiled into the system part and into the user part,
 * with that module's MODULE_FUNCTION / MODULE_INDEX (see spark_wiring_platform.h).
 */
#ifndef MODULE_INDEX
#define MODULE_INDEX 0
#endif

void SystemClass::reset() {
#if WIRING_IN_USER_PART
    // the system part saves its state and closes the cloud session first
    system_reset(0);
#else
    HAL_Core_System_Reset();
#endif
}

void SystemClass::dfu(bool persist) {
    HAL_Core_Enter_DFU_Mode(persist);
}

String SystemClass::version() {
    SystemVersionInfo info;
    info.size = sizeof(info);
    system_version_info(&info);
    return String(info.versionString);
}

uint32_t SystemClass::uptime() {
    return system_uptime_ms() / 1000u;
}

bool SystemClass::sleep(uint32_t seconds) {
    return system_sleep(seconds, SLEEP_MODE_WLAN) == 0;
}

uint8_t SystemClass::moduleFunction() {
#if WIRING_IN_USER_PART
    return MOD_FUNC_USER_PART;
#else
    return MOD_FUNC_SYSTEM_PART;
#endif
}

uint8_t SystemClass::moduleIndex() {
    return MODULE_INDEX;
}

const char* SystemClass::moduleName() {
#if WIRING_IN_USER_PART
    return "user-part";
#elif MODULE_INDEX == 1
    return "system-part1";
#elif MODULE_INDEX == 2
    return "system-part2";
#else
    return "system-part3";
#endif
}
