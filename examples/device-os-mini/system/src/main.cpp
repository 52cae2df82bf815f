#include "system_task.h"
#include "system_user.h"
#include "system_mode.h"
#include "system_threading.h"
#include "module_info.h"
#include "platform_config.h"
#include "flash_mal.h"
#include "logging.h"

#ifndef MODULE_VERSION
#define MODULE_VERSION 0
#endif

/*
 * The user part runs only if it is intact and what it needs of this system
 * part (its dependency on system part index 2) is met; otherwise the device
 * stays in safe mode.
 */
extern "C" int system_user_module_valid(void) {
    const module_info_t* info = FLASH_ModuleInfo(USER_PART_START);
    if (!FLASH_ModuleInfoValid(info, USER_PART_START, USER_PART_SIZE)) {
        return 0;
    }
    if (info->module_function != MOD_FUNC_USER_PART || !FLASH_VerifyCRC32(info)) {
        return 0;
    }
    return FLASH_DependencySatisfied(info, MOD_FUNC_SYSTEM_PART, 2, MODULE_VERSION);
}

int main() {
    system_init();
    const bool user_valid = system_user_module_valid();
    if (user_valid) {
        module_user_init();
        module_user_setup();
    } else {
        LOG(WARN, "user part invalid, entering safe mode");
        set_system_mode(SAFE_MODE);
    }
    for (;;) {
        system_task_loop();
        if (user_valid) {
            module_user_loop();
        }
    }
}
