#pragma once

#include <stdint.h>
#include "module_info.h"

#ifdef __cplusplus
extern "C" {
#endif

/* the header of the module stored at address, or 0 if the slot looks empty */
const module_info_t* FLASH_ModuleInfo(uint32_t address);
/* the module's end address + 4 lies in the slot and its platform matches */
int FLASH_ModuleInfoValid(const module_info_t* info, uint32_t slot, uint32_t slot_size);
/* CRC-32 over [start, end) compared with the big-endian word at end */
int FLASH_VerifyCRC32(const module_info_t* info);
/* the module's first dependency is satisfied by a module of that version */
int FLASH_DependencySatisfied(const module_info_t* info, uint8_t function, uint8_t index, uint16_t version);

#ifdef __cplusplus
}
#endif
