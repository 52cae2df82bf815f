#ifndef MICROSHA_CRC32_H
#define MICROSHA_CRC32_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* CRC-32/ISO-HDLC, the zlib crc32() */
uint32_t microsha_crc32(uint32_t crc, const void* data, size_t len);

#ifdef __cplusplus
}
#endif

#endif
