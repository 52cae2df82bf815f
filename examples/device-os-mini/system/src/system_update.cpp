#include "system_update.h"
#include "flash_mal.h"
#include "module_info.h"
#include "system_error.h"
#include "logging.h"

extern "C" int system_validate_module(uint32_t slot, uint32_t slot_size, int function) {
    const module_info_t* info = FLASH_ModuleInfo(slot);
    if (!FLASH_ModuleInfoValid(info, slot, slot_size)) {
        LOG(ERROR, "module header invalid");
        return SYSTEM_ERROR_BAD_DATA;
    }
    if (info->module_function != function) {
        return SYSTEM_ERROR_NOT_ALLOWED;
    }
    if (!FLASH_VerifyCRC32(info)) {
        LOG(ERROR, "module CRC mismatch");
        return SYSTEM_ERROR_BAD_DATA;
    }
    return SYSTEM_ERROR_NONE;
}
