#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct protocol_callbacks_t {
    int (*send)(const uint8_t* data, size_t len);
    int (*receive)(uint8_t* data, size_t len);
    uint32_t (*millis)(void);
} protocol_callbacks_t;

typedef int (*protocol_function_t)(const char* argument);

#define PROTOCOL_EVENT_PRIVATE   0x01
#define PROTOCOL_EVENT_NO_ACK    0x02

int spark_protocol_init(const protocol_callbacks_t* callbacks, const uint8_t* device_id, size_t id_len);
int spark_protocol_handshake(void);
int spark_protocol_event_loop(void);
int spark_protocol_send_event(const char* name, const char* data, int ttl, uint32_t flags);
int spark_protocol_is_connected(void);
int spark_protocol_add_function(const char* name, protocol_function_t fn);
uint32_t spark_protocol_pending_events(void);

#ifdef __cplusplus
}
#endif
