#include <string.h>
#include "protocol.h"
#include "messages.h"
#include "handshake.h"
#include "logging.h"
#include "system_error.h"

int communication_publish_pending(const protocol_callbacks_t* callbacks, uint16_t* message_id);
bool communication_queue_event(const char* name, const char* data, int ttl, uint32_t flags);

namespace {

using namespace particle::protocol;

constexpr int MAX_FUNCTIONS = 8;

struct FunctionEntry {
    char name[13];
    protocol_function_t fn;
};

struct ProtocolState {
    protocol_callbacks_t callbacks;
    uint8_t device_id[12];
    bool initialized;
    bool connected;
    uint16_t message_id;
    uint32_t last_ping;
    Handshake handshake;
    FunctionEntry functions[MAX_FUNCTIONS];
    int function_count;
};

ProtocolState state;

int send_hello() {
    uint8_t buf[32];
    size_t len = Messages::hello(buf, sizeof(buf), state.message_id++, PLATFORM_ID, 0xFFFF);
    return len ? state.callbacks.send(buf, len) : SYSTEM_ERROR_TOO_LARGE;
}

} // namespace

extern "C" int spark_protocol_init(const protocol_callbacks_t* callbacks, const uint8_t* device_id, size_t id_len) {
    if (!callbacks || !callbacks->send || !callbacks->millis) {
        return SYSTEM_ERROR_INVALID_ARGUMENT;
    }
    state.callbacks = *callbacks;
    memcpy(state.device_id, device_id, id_len < sizeof(state.device_id) ? id_len : sizeof(state.device_id));
    state.initialized = true;
    state.connected = false;
    return SYSTEM_ERROR_NONE;
}

extern "C" int spark_protocol_handshake(void) {
    if (!state.initialized) {
        return SYSTEM_ERROR_INVALID_STATE;
    }
    state.handshake.begin(state.device_id, sizeof(state.device_id), state.callbacks.millis());
    int r = send_hello();
    if (r < 0) {
        LOG(ERROR, "handshake failed");
        return r;
    }
    state.connected = true;
    state.last_ping = state.callbacks.millis();
    LOG(INFO, "cloud connected");
    return SYSTEM_ERROR_NONE;
}

extern "C" int spark_protocol_is_connected(void) {
    return state.connected;
}

extern "C" int spark_protocol_add_function(const char* name, protocol_function_t fn) {
    if (state.function_count >= MAX_FUNCTIONS || strlen(name) >= sizeof(state.functions[0].name)) {
        return SYSTEM_ERROR_LIMIT_EXCEEDED;
    }
    FunctionEntry& entry = state.functions[state.function_count++];
    strcpy(entry.name, name);
    entry.fn = fn;
    return SYSTEM_ERROR_NONE;
}

extern "C" int spark_protocol_send_event(const char* name, const char* data, int ttl, uint32_t flags) {
    if (!state.connected) {
        return SYSTEM_ERROR_INVALID_STATE;
    }
    return communication_queue_event(name, data, ttl, flags) ? SYSTEM_ERROR_NONE : SYSTEM_ERROR_NO_MEMORY;
}

extern "C" int spark_protocol_event_loop(void) {
    if (!state.connected) {
        return SYSTEM_ERROR_INVALID_STATE;
    }
    uint32_t now = state.callbacks.millis();
    if (now - state.last_ping > 23000) {
        uint8_t buf[8];
        size_t len = Messages::ping(buf, sizeof(buf), state.message_id++);
        state.callbacks.send(buf, len);
        state.last_ping = now;
    }
    if (state.callbacks.receive) {
        uint8_t buf[64];
        int len = state.callbacks.receive(buf, sizeof(buf));
        CoapHeader header;
        if (len > 0 && coap_parse_header(buf, (size_t)len, &header) && header.code == CoapCode::POST) {
            const char* name = (const char*)buf + 4 + header.token_len;
            for (int i = 0; i < state.function_count; i++) {
                if (strncmp(name, state.functions[i].name, sizeof(state.functions[i].name)) == 0) {
                    int result = state.functions[i].fn("");
                    size_t n = Messages::function_return(buf, sizeof(buf), header.message_id, 0, result);
                    state.callbacks.send(buf, n);
                }
            }
        }
    }
    return communication_publish_pending(&state.callbacks, &state.message_id);
}
