#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

int system_thread_get_state(void);
void system_thread_set_state(int enabled);

#ifdef __cplusplus
}

#include <functional>

namespace particle {
namespace system {

// Work posted to the system loop (the fixture has no RTOS; posted work runs in system_task_loop()).
using Task = std::function<void()>;

bool post_task(Task task);
void process_tasks();

} // namespace system
} // namespace particle
#endif
