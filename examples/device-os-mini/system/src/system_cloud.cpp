#include <string.h>
#include "system_cloud.h"
#include "system_network.h"
#include "protocol.h"
#include "core_hal.h"
#include "timer_hal.h"
#include "system_error.h"
#include "logging.h"
#include "spark_wiring_string.h"

namespace {

// Stand-in for the cloud socket: outgoing messages are only counted.
struct CloudSocket {
    uint32_t bytes_sent;
    uint32_t messages_sent;
};

CloudSocket socket;
bool connect_requested;
bool protocol_ready;

int socket_send(const uint8_t* data, size_t len) {
    (void)data;
    socket.bytes_sent += len;
    socket.messages_sent++;
    return (int)len;
}

int socket_receive(uint8_t* data, size_t len) {
    (void)data;
    (void)len;
    return 0;
}

uint32_t protocol_millis(void) {
    return HAL_Timer_Get_Milli_Seconds();
}

const protocol_callbacks_t callbacks = { socket_send, socket_receive, protocol_millis };

} // namespace

extern "C" int spark_cloud_flag_connected(void) {
    return protocol_ready && spark_protocol_is_connected();
}

extern "C" void spark_cloud_flag_connect(void) {
    connect_requested = true;
    if (protocol_ready || !network_ready(NETWORK_INTERFACE_ALL)) {
        return;
    }
    uint8_t id[12];
    HAL_device_id(id, sizeof(id));
    if (spark_protocol_init(&callbacks, id, sizeof(id)) == SYSTEM_ERROR_NONE
            && spark_protocol_handshake() == SYSTEM_ERROR_NONE) {
        protocol_ready = true;
        String event("spark/status");
        spark_publish(event.c_str(), "online", 60, PUBLISH_EVENT_FLAG_PRIVATE);
    }
}

extern "C" void spark_cloud_flag_disconnect(void) {
    connect_requested = false;
    protocol_ready = false;
}

extern "C" void spark_process(void) {
    if (protocol_ready) {
        if (spark_protocol_event_loop() < 0) {
            LOG(WARN, "cloud connection lost");
            protocol_ready = false;
        }
    } else if (connect_requested) {
        spark_cloud_flag_connect();
    }
}

extern "C" int spark_publish(const char* name, const char* data, int ttl, uint32_t flags) {
    if (!spark_cloud_flag_connected()) {
        return SYSTEM_ERROR_INVALID_STATE;
    }
    uint32_t protocol_flags = 0;
    if (flags & PUBLISH_EVENT_FLAG_PRIVATE) {
        protocol_flags |= PROTOCOL_EVENT_PRIVATE;
    }
    if (flags & PUBLISH_EVENT_FLAG_NO_ACK) {
        protocol_flags |= PROTOCOL_EVENT_NO_ACK;
    }
    return spark_protocol_send_event(name, data, ttl, protocol_flags);
}

extern "C" int spark_function(const char* name, cloud_function_t fn) {
    if (!name || !fn || strlen(name) > 12) {
        return SYSTEM_ERROR_INVALID_ARGUMENT;
    }
    return spark_protocol_add_function(name, fn);
}
