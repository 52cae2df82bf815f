#pragma once

#include "dynalib.h"

#ifdef DYNALIB_EXPORT
#include "crypto_util.h"
#endif

DYNALIB_BEGIN(crypto)
DYNALIB_FN(0, crypto, crypto_sha256, void(const void*, size_t, uint8_t*))
DYNALIB_FN(1, crypto, crypto_hmac_sha256, void(const uint8_t*, size_t, const void*, size_t, uint8_t*))
DYNALIB_FN(2, crypto, crypto_base64_encode, size_t(const uint8_t*, size_t, char*, size_t))
DYNALIB_FN(3, crypto, crypto_crc32, uint32_t(const void*, size_t))
DYNALIB_END(crypto)
