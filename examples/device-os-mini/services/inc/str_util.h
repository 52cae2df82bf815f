#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

size_t str_copy(char* dest, size_t size, const char* src);
size_t str_from_uint(char* dest, size_t size, uint32_t value, unsigned base);
size_t str_from_int(char* dest, size_t size, int32_t value);
int str_to_int(const char* text, int32_t* value);
int str_starts_with(const char* text, const char* prefix);

#ifdef __cplusplus
}
#endif
