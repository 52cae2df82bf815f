#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void crypto_sha256(const void* data, size_t len, uint8_t digest[32]);
void crypto_hmac_sha256(const uint8_t* key, size_t key_len, const void* data, size_t len, uint8_t mac[32]);
size_t crypto_base64_encode(const uint8_t* data, size_t len, char* out, size_t out_size);
uint32_t crypto_crc32(const void* data, size_t len);

#ifdef __cplusplus
}
#endif
