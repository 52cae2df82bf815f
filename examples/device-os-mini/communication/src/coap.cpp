#include <string.h>
#include "coap.h"

namespace particle {
namespace protocol {

CoapWriter::CoapWriter(uint8_t* buffer, size_t size)
    : buf_(buffer), size_(size), pos_(0), last_option_(0), overflow_(false) {
}

bool CoapWriter::put(uint8_t b) {
    if (pos_ >= size_) {
        overflow_ = true;
        return false;
    }
    buf_[pos_++] = b;
    return true;
}

bool CoapWriter::header(CoapType type, CoapCode code, uint16_t message_id, uint8_t token) {
    pos_ = 0;
    last_option_ = 0;
    // version 1, one byte of token
    return put((uint8_t)(0x40 | ((uint8_t)type << 4) | 1)) && put((uint8_t)code)
            && put((uint8_t)(message_id >> 8)) && put((uint8_t)message_id) && put(token);
}

bool CoapWriter::option(uint16_t number, const uint8_t* value, size_t len) {
    uint16_t delta = (uint16_t)(number - last_option_);
    last_option_ = number;
    if (delta > 12 || len > 12) {
        // extended forms are not needed by the fixture's messages
        overflow_ = true;
        return false;
    }
    if (!put((uint8_t)((delta << 4) | len))) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!put(value[i])) {
            return false;
        }
    }
    return true;
}

bool CoapWriter::uri_path(const char* segment) {
    return option(11, (const uint8_t*)segment, strlen(segment));
}

bool CoapWriter::payload(const uint8_t* data, size_t len) {
    if (!len) {
        return true;
    }
    if (!put(0xFF)) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!put(data[i])) {
            return false;
        }
    }
    return true;
}

bool coap_parse_header(const uint8_t* data, size_t len, CoapHeader* header) {
    if (len < 4 || (data[0] >> 6) != 1) {
        return false;
    }
    header->type = (CoapType)((data[0] >> 4) & 3);
    header->token_len = data[0] & 0x0F;
    header->code = (CoapCode)data[1];
    header->message_id = (uint16_t)((data[2] << 8) | data[3]);
    return header->token_len <= 8 && len >= 4u + header->token_len;
}

} // namespace protocol
} // namespace particle
