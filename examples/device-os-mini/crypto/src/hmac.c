#include <string.h>
#include MICROSHA_CONFIG_FILE
#include "crypto_util.h"
#include "sha256.h"

/* HMAC-SHA256 (RFC 2104) */
void crypto_hmac_sha256(const uint8_t* key, size_t key_len, const void* data, size_t len, uint8_t mac[32])
{
    uint8_t k[MICROSHA_HMAC_BLOCK_SIZE];
    uint8_t pad[MICROSHA_HMAC_BLOCK_SIZE];
    uint8_t inner[MICROSHA_DIGEST_SIZE];
    microsha_sha256_ctx ctx;

    memset(k, 0, sizeof(k));
    if (key_len > sizeof(k)) {
        crypto_sha256(key, key_len, k);
    } else {
        memcpy(k, key, key_len);
    }

    for (size_t i = 0; i < sizeof(pad); i++) {
        pad[i] = k[i] ^ 0x36;
    }
    microsha_sha256_init(&ctx);
    microsha_sha256_update(&ctx, pad, sizeof(pad));
    microsha_sha256_update(&ctx, data, len);
    microsha_sha256_final(&ctx, inner);

    for (size_t i = 0; i < sizeof(pad); i++) {
        pad[i] = k[i] ^ 0x5c;
    }
    microsha_sha256_init(&ctx);
    microsha_sha256_update(&ctx, pad, sizeof(pad));
    microsha_sha256_update(&ctx, inner, sizeof(inner));
    microsha_sha256_final(&ctx, mac);
}
