#ifndef MICROSHA_SHA256_H
#define MICROSHA_SHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct microsha_sha256_ctx {
    uint32_t state[8];
    uint64_t length;
    uint8_t block[64];
    size_t used;
} microsha_sha256_ctx;

void microsha_sha256_init(microsha_sha256_ctx* ctx);
void microsha_sha256_update(microsha_sha256_ctx* ctx, const void* data, size_t len);
void microsha_sha256_final(microsha_sha256_ctx* ctx, uint8_t digest[32]);

#ifdef __cplusplus
}
#endif

#endif
