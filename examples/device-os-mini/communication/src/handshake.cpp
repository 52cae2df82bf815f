#include <string.h>
#include "handshake.h"
#include "crypto_util.h"

namespace particle {
namespace protocol {

void Handshake::begin(const uint8_t* device_id, size_t id_len, uint32_t nonce) {
    uint8_t material[48] = {};
    size_t n = id_len < 32 ? id_len : 32;
    memcpy(material, device_id, n);
    for (int i = 0; i < 4; i++) {
        material[32 + i] = (uint8_t)(nonce >> (24 - 8 * i));
    }
    crypto_sha256(material, sizeof(material), session_key_);
    static const char label[] = "particle session";
    crypto_hmac_sha256(session_key_, sizeof(session_key_), label, sizeof(label) - 1, expected_mac_);
}

bool Handshake::verify(const uint8_t* server_mac, size_t len) const {
    if (len != sizeof(expected_mac_)) {
        return false;
    }
    uint8_t diff = 0;
    for (size_t i = 0; i < len; i++) {
        diff |= (uint8_t)(server_mac[i] ^ expected_mac_[i]);
    }
    return diff == 0;
}

size_t Handshake::signature(char* out, size_t size) const {
    return crypto_base64_encode(expected_mac_, 12, out, size);
}

} // namespace protocol
} // namespace particle
