#include MICROSHA_CONFIG_FILE
#include "crypto_util.h"
#include "sha256.h"
#include "base64.h"
#include "crc32.h"

void crypto_sha256(const void* data, size_t len, uint8_t digest[32])
{
    microsha_sha256_ctx ctx;
    microsha_sha256_init(&ctx);
    microsha_sha256_update(&ctx, data, len);
    microsha_sha256_final(&ctx, digest);
}

size_t crypto_base64_encode(const uint8_t* data, size_t len, char* out, size_t out_size)
{
    return microsha_base64_encode(data, len, out, out_size);
}

uint32_t crypto_crc32(const void* data, size_t len)
{
    return microsha_crc32(0, data, len);
}
