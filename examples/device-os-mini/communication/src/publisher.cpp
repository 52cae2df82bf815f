#include "events.h"
#include "messages.h"
#include "protocol.h"
#include "logging.h"

namespace particle {
namespace protocol {

// Sends queued events within the rate limit.
class Publisher {
public:
    int publish_pending(const protocol_callbacks_t* callbacks, uint16_t* message_id) {
        int sent = 0;
        uint8_t buf[128];
        while (queue_.front() && limiter_.allow(callbacks->millis())) {
            const Event* e = queue_.front();
            size_t len = Messages::event(buf, sizeof(buf), (*message_id)++, (uint8_t)sent, e->name, e->data,
                    e->ttl, !(e->flags & PROTOCOL_EVENT_NO_ACK));
            if (len == 0) {
                LOG(WARN, "event too large, dropped");
            } else if (callbacks->send(buf, len) < 0) {
                return -1;
            }
            queue_.pop();
            sent++;
        }
        return sent;
    }

    EventQueue& queue() { return queue_; }

private:
    EventQueue queue_;
    RateLimiter limiter_;
};

Publisher publisher;

} // namespace protocol
} // namespace particle

extern "C" uint32_t spark_protocol_pending_events(void) {
    return particle::protocol::publisher.queue().size();
}

int communication_publish_pending(const protocol_callbacks_t* callbacks, uint16_t* message_id);

int communication_publish_pending(const protocol_callbacks_t* callbacks, uint16_t* message_id) {
    return particle::protocol::publisher.publish_pending(callbacks, message_id);
}

bool communication_queue_event(const char* name, const char* data, int ttl, uint32_t flags);

bool communication_queue_event(const char* name, const char* data, int ttl, uint32_t flags) {
    return particle::protocol::publisher.queue().push(name, data, ttl, flags);
}
