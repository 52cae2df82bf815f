#include <string.h>
#include "json_util.h"

static const char* skip_space(const char* p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
        p++;
    }
    return p;
}

int json_find_value(const char* json, const char* key, char* value, size_t size)
{
    size_t key_len = strlen(key);
    const char* p = json;
    while ((p = strchr(p, '"')) != NULL) {
        p++;
        if (strncmp(p, key, key_len) == 0 && p[key_len] == '"') {
            p = skip_space(p + key_len + 1);
            if (*p != ':') {
                return -1;
            }
            p = skip_space(p + 1);
            size_t n = 0;
            if (*p == '"') {
                p++;
                while (*p && *p != '"' && n + 1 < size) {
                    value[n++] = *p++;
                }
            } else {
                while (*p && *p != ',' && *p != '}' && *p != ' ' && n + 1 < size) {
                    value[n++] = *p++;
                }
            }
            if (size) {
                value[n] = '\0';
            }
            return (int)n;
        }
        p = strchr(p, '"');
        if (!p) {
            break;
        }
        p++;
    }
    return -1;
}
