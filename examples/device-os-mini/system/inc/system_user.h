#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/* entry points of the user part (dynamically linked) */
void* module_user_pre_init(void);
void module_user_init(void);
void module_user_setup(void);
void module_user_loop(void);

/* the user part is present, intact and its dependencies are met */
int system_user_module_valid(void);

#ifdef __cplusplus
}
#endif
