#include "platform_info.h"
#include "platform_config.h"
#include "module_info.h"
#include "hw_config.h"

/*
 * MODULE_FUNCTION, MODULE_INDEX and MODULE_VERSION are those of the module
 * being built: its makefile passes them down to this library's sub-make.
 */
#if defined(MODULE_FUNCTION) && MODULE_FUNCTION == MOD_FUNC_USER_PART
#define PLATFORM_SLOT_ADDRESS USER_PART_START
#elif defined(MODULE_INDEX) && MODULE_INDEX == 1
#define PLATFORM_SLOT_ADDRESS SYSTEM_PART1_START
#elif defined(MODULE_INDEX) && MODULE_INDEX == 2
#define PLATFORM_SLOT_ADDRESS SYSTEM_PART2_START
#elif defined(MODULE_INDEX) && MODULE_INDEX == 3 && SYSTEM_PART_COUNT == 3
#define PLATFORM_SLOT_ADDRESS SYSTEM_PART3_START
#else
#define PLATFORM_SLOT_ADDRESS 0
#endif

#ifndef MODULE_FUNCTION
#define MODULE_FUNCTION MOD_FUNC_NONE
#endif
#ifndef MODULE_INDEX
#define MODULE_INDEX 0
#endif
#ifndef MODULE_VERSION
#define MODULE_VERSION 0
#endif

static const platform_module_tag_t tag = {
    PLATFORM_ID,
    MODULE_FUNCTION,
    MODULE_INDEX,
    MODULE_VERSION,
    0,
    PLATFORM_SLOT_ADDRESS
};

/* the module that initialised the platform (read by the debugger and by panic handlers) */
const platform_module_tag_t* volatile platform_current_module;

const platform_module_tag_t* platform_module_tag(void)
{
    return &tag;
}

uint32_t platform_flash_slot(void)
{
    return tag.slot_address;
}

const char* platform_name(void)
{
#if PLATFORM_ID == 6
    return "photon";
#elif PLATFORM_ID == 8
    return "p1";
#else
    return "electron";
#endif
}

void platform_init(void)
{
    platform_current_module = &tag;
#if defined(MODULE_FUNCTION) && MODULE_FUNCTION == MOD_FUNC_SYSTEM_PART && MODULE_INDEX == 2
    /* the system part started by the bootloader owns the hardware set-up */
    platform_hw_init();
#endif
}
