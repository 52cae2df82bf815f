#include <utility>
#include "system_threading.h"

namespace particle {
namespace system {

namespace {

constexpr unsigned QUEUE_SIZE = 8;

Task queue[QUEUE_SIZE];
unsigned head;
unsigned tail;
int threading_enabled = PLATFORM_THREADING;

} // namespace

bool post_task(Task task) {
    unsigned next = (head + 1) % QUEUE_SIZE;
    if (next == tail) {
        return false;
    }
    queue[head] = std::move(task);
    head = next;
    return true;
}

void process_tasks() {
    while (tail != head) {
        Task task = std::move(queue[tail]);
        tail = (tail + 1) % QUEUE_SIZE;
        if (task) {
            task();
        }
    }
}

} // namespace system
} // namespace particle

extern "C" int system_thread_get_state(void) {
    return particle::system::threading_enabled;
}

extern "C" void system_thread_set_state(int enabled) {
    particle::system::threading_enabled = enabled;
}
