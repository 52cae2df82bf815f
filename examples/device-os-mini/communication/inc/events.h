#pragma once

#include <stddef.h>
#include <stdint.h>

namespace particle {
namespace protocol {

struct Event {
    char name[64];
    char* data;
    int ttl;
    uint32_t flags;
    Event* next;
};

// FIFO of events waiting to be published; events are allocated with malloc.
class EventQueue {
public:
    bool push(const char* name, const char* data, int ttl, uint32_t flags);
    Event* front() const { return head_; }
    void pop();
    uint32_t size() const { return count_; }

private:
    Event* head_ = nullptr;
    Event* tail_ = nullptr;
    uint32_t count_ = 0;
};

// Throttling of published events: 4 per second with a burst of 4
class RateLimiter {
public:
    bool allow(uint32_t now_ms);

private:
    uint32_t window_start_ = 0;
    uint32_t count_ = 0;
};

} // namespace protocol
} // namespace particle
