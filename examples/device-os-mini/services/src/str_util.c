#include "str_util.h"

size_t str_copy(char* dest, size_t size, const char* src)
{
    size_t n = 0;
    if (!size) {
        return 0;
    }
    while (src[n] && n + 1 < size) {
        dest[n] = src[n];
        n++;
    }
    dest[n] = '\0';
    return n;
}

size_t str_from_uint(char* dest, size_t size, uint32_t value, unsigned base)
{
    char digits[33];
    size_t n = 0;
    if (base < 2 || base > 16) {
        base = 10;
    }
    do {
        digits[n++] = "0123456789abcdef"[value % base];
        value /= base;
    } while (value && n < sizeof(digits));
    size_t out = 0;
    while (n && out + 1 < size) {
        dest[out++] = digits[--n];
    }
    if (size) {
        dest[out] = '\0';
    }
    return out;
}

size_t str_from_int(char* dest, size_t size, int32_t value)
{
    if (value < 0 && size > 1) {
        dest[0] = '-';
        return 1 + str_from_uint(dest + 1, size - 1, (uint32_t)(-(value + 1)) + 1u, 10);
    }
    return str_from_uint(dest, size, (uint32_t)value, 10);
}

int str_to_int(const char* text, int32_t* value)
{
    int negative = 0;
    int32_t result = 0;
    if (*text == '-') {
        negative = 1;
        text++;
    }
    if (*text < '0' || *text > '9') {
        return -1;
    }
    while (*text >= '0' && *text <= '9') {
        result = result * 10 + (*text++ - '0');
    }
    *value = negative ? -result : result;
    return 0;
}

int str_starts_with(const char* text, const char* prefix)
{
    while (*prefix) {
        if (*text++ != *prefix++) {
            return 0;
        }
    }
    return 1;
}
