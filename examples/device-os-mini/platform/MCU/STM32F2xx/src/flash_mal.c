#include <stddef.h>
#include "flash_mal.h"
#include "platform_config.h"
#include "hw_config.h"

const module_info_t* FLASH_ModuleInfo(uint32_t address)
{
    uint32_t first_word = *(const volatile uint32_t*)address;
    if (first_word == 0xFFFFFFFFu) {
        return NULL;
    }
    if (FLASH_LOOKS_LIKE_STACK_POINTER(first_word)) {
        return (const module_info_t*)(address + MODULE_VECTOR_TABLE_SIZE);
    }
    return (const module_info_t*)address;
}

int FLASH_ModuleInfoValid(const module_info_t* info, uint32_t slot, uint32_t slot_size)
{
    uint32_t start, end;
    if (!info) {
        return 0;
    }
    start = (uint32_t)info->module_start_address;
    end = (uint32_t)info->module_end_address;
    return start == slot && end > start && end + 4 <= slot + slot_size && end <= INTERNAL_FLASH_END
            && info->platform_id == PLATFORM_ID;
}

static uint32_t crc32_update(uint32_t crc, const uint8_t* data, uint32_t length)
{
    while (length--) {
        crc ^= *data++;
        for (int bit = 0; bit < 8; bit++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return crc;
}

int FLASH_VerifyCRC32(const module_info_t* info)
{
    const uint8_t* start = (const uint8_t*)info->module_start_address;
    const uint8_t* end = (const uint8_t*)info->module_end_address;
    uint32_t computed = crc32_update(0xFFFFFFFFu, start, (uint32_t)(end - start)) ^ 0xFFFFFFFFu;
    uint32_t stored = ((uint32_t)end[0] << 24) | ((uint32_t)end[1] << 16) | ((uint32_t)end[2] << 8) | end[3];
    return computed == stored;
}

int FLASH_DependencySatisfied(const module_info_t* info, uint8_t function, uint8_t index, uint16_t version)
{
    const module_dependency_t* deps[2] = { &info->dependency, &info->dependency2 };
    for (int i = 0; i < 2; i++) {
        const module_dependency_t* dep = deps[i];
        if (dep->module_function == function && dep->module_index == index && dep->module_version > version) {
            return 0;
        }
    }
    return 1;
}
