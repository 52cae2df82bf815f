#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void system_init(void);
void system_task_loop(void);
/* waits, running the system loop unless force_no_background_loop */
void system_delay_ms(uint32_t ms, int force_no_background_loop);
uint32_t system_uptime_ms(void);
void system_reset(int reason);

#ifdef __cplusplus
}
#endif
