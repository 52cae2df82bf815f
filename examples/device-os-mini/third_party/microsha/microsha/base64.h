#ifndef MICROSHA_BASE64_H
#define MICROSHA_BASE64_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* returns the length written (without the NUL), or 0 if out is too small */
size_t microsha_base64_encode(const uint8_t* data, size_t len, char* out, size_t out_size);

#ifdef __cplusplus
}
#endif

#endif
