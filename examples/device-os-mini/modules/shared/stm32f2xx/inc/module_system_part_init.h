#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/* entry points of the system parts that the bootloader does not start */
void* module_system_part1_pre_init(void);
void module_system_part1_init(void);
void* module_system_part3_pre_init(void);
void module_system_part3_init(void);

/* called by the reset handler of the system part with index 2 */
void system_part2_pre_init(void);

#ifdef __cplusplus
}
#endif
