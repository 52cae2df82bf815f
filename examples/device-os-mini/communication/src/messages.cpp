#include <string.h>
#include "messages.h"

namespace particle {
namespace protocol {

size_t Messages::hello(uint8_t* buf, size_t size, uint16_t id, uint16_t product_id, uint16_t firmware_version) {
    CoapWriter w(buf, size);
    const uint8_t body[6] = {
        (uint8_t)(product_id >> 8), (uint8_t)product_id,
        (uint8_t)(firmware_version >> 8), (uint8_t)firmware_version,
        0, (uint8_t)PLATFORM_ID
    };
    w.header(CoapType::NON, CoapCode::POST, id, 0);
    w.uri_path("h");
    w.payload(body, sizeof(body));
    return w.overflow() ? 0 : w.length();
}

size_t Messages::event(uint8_t* buf, size_t size, uint16_t id, uint8_t token, const char* name,
        const char* data, int ttl, bool confirmable) {
    CoapWriter w(buf, size);
    w.header(confirmable ? CoapType::CON : CoapType::NON, CoapCode::POST, id, token);
    w.uri_path("e");
    w.uri_path(name);
    if (ttl != 60) {
        const uint8_t max_age[4] = { (uint8_t)(ttl >> 24), (uint8_t)(ttl >> 16), (uint8_t)(ttl >> 8), (uint8_t)ttl };
        w.option(14, max_age, sizeof(max_age));
    }
    if (data) {
        w.payload((const uint8_t*)data, strlen(data));
    }
    return w.overflow() ? 0 : w.length();
}

size_t Messages::function_return(uint8_t* buf, size_t size, uint16_t id, uint8_t token, int result) {
    CoapWriter w(buf, size);
    const uint8_t value[4] = { (uint8_t)(result >> 24), (uint8_t)(result >> 16), (uint8_t)(result >> 8), (uint8_t)result };
    w.header(CoapType::ACK, CoapCode::CHANGED, id, token);
    w.payload(value, sizeof(value));
    return w.overflow() ? 0 : w.length();
}

size_t Messages::ping(uint8_t* buf, size_t size, uint16_t id) {
    CoapWriter w(buf, size);
    w.header(CoapType::CON, CoapCode::EMPTY, id, 0);
    return w.overflow() ? 0 : w.length();
}

} // namespace protocol
} // namespace particle
