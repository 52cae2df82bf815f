#pragma once

#include <stddef.h>
#include <stdint.h>

namespace particle {
namespace protocol {

enum class CoapType : uint8_t { CON = 0, NON = 1, ACK = 2, RESET = 3 };

enum class CoapCode : uint8_t {
    EMPTY = 0x00,
    GET = 0x01,
    POST = 0x02,
    PUT = 0x03,
    CONTENT = 0x45,
    CHANGED = 0x44,
    NOT_FOUND = 0x84
};

// Writes a CoAP message (RFC 7252) into a caller-provided buffer.
class CoapWriter {
public:
    CoapWriter(uint8_t* buffer, size_t size);

    bool header(CoapType type, CoapCode code, uint16_t message_id, uint8_t token);
    bool uri_path(const char* segment);
    bool option(uint16_t number, const uint8_t* value, size_t len);
    bool payload(const uint8_t* data, size_t len);
    size_t length() const { return pos_; }
    bool overflow() const { return overflow_; }

private:
    bool put(uint8_t b);
    uint8_t* buf_;
    size_t size_;
    size_t pos_;
    uint16_t last_option_;
    bool overflow_;
};

// Reads the fixed part of a CoAP message.
struct CoapHeader {
    CoapType type;
    CoapCode code;
    uint16_t message_id;
    uint8_t token_len;
};

bool coap_parse_header(const uint8_t* data, size_t len, CoapHeader* header);

} // namespace protocol
} // namespace particle
