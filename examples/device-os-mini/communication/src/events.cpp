#include <stdlib.h>
#include <string.h>
#include "events.h"

namespace particle {
namespace protocol {

bool EventQueue::push(const char* name, const char* data, int ttl, uint32_t flags) {
    Event* e = (Event*)malloc(sizeof(Event));
    if (!e) {
        return false;
    }
    strncpy(e->name, name, sizeof(e->name) - 1);
    e->name[sizeof(e->name) - 1] = '\0';
    e->data = nullptr;
    if (data) {
        size_t len = strlen(data);
        e->data = (char*)malloc(len + 1);
        if (!e->data) {
            free(e);
            return false;
        }
        memcpy(e->data, data, len + 1);
    }
    e->ttl = ttl;
    e->flags = flags;
    e->next = nullptr;
    if (tail_) {
        tail_->next = e;
    } else {
        head_ = e;
    }
    tail_ = e;
    count_++;
    return true;
}

void EventQueue::pop() {
    Event* e = head_;
    if (!e) {
        return;
    }
    head_ = e->next;
    if (!head_) {
        tail_ = nullptr;
    }
    free(e->data);
    free(e);
    count_--;
}

bool RateLimiter::allow(uint32_t now_ms) {
    if (now_ms - window_start_ >= 1000) {
        window_start_ = now_ms;
        count_ = 0;
    }
    if (count_ >= 4) {
        return false;
    }
    count_++;
    return true;
}

} // namespace protocol
} // namespace particle
