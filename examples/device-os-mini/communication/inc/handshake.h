#pragma once

#include <stddef.h>
#include <stdint.h>

namespace particle {
namespace protocol {

// Session key derivation for the fixture's stand-in of the cloud handshake.
class Handshake {
public:
    void begin(const uint8_t* device_id, size_t id_len, uint32_t nonce);
    bool verify(const uint8_t* server_mac, size_t len) const;
    const uint8_t* session_key() const { return session_key_; }
    size_t signature(char* out, size_t size) const;

private:
    uint8_t session_key_[32] = {};
    uint8_t expected_mac_[32] = {};
};

} // namespace protocol
} // namespace particle
