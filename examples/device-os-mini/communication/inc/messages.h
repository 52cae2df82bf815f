#pragma once

#include <stddef.h>
#include <stdint.h>
#include "coap.h"

namespace particle {
namespace protocol {

class Messages {
public:
    static size_t hello(uint8_t* buf, size_t size, uint16_t id, uint16_t product_id, uint16_t firmware_version);
    static size_t event(uint8_t* buf, size_t size, uint16_t id, uint8_t token, const char* name,
            const char* data, int ttl, bool confirmable);
    static size_t function_return(uint8_t* buf, size_t size, uint16_t id, uint8_t token, int result);
    static size_t ping(uint8_t* buf, size_t size, uint16_t id);
};

} // namespace protocol
} // namespace particle
