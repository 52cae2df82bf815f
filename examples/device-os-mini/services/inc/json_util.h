#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Finds "key":"value" or "key":number in a flat JSON object; returns the value length or -1 */
int json_find_value(const char* json, const char* key, char* value, size_t size);

#ifdef __cplusplus
}
#endif
