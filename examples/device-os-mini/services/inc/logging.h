#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LOG_LEVEL_ALL    1
#define LOG_LEVEL_TRACE  1
#define LOG_LEVEL_INFO   30
#define LOG_LEVEL_WARN   40
#define LOG_LEVEL_ERROR  50
#define LOG_LEVEL_PANIC  60
#define LOG_LEVEL_NONE   70

#ifndef LOG_COMPILE_TIME_LEVEL
#define LOG_COMPILE_TIME_LEVEL LOG_LEVEL_ALL
#endif

#ifndef LOG_MODULE_CATEGORY
#define LOG_MODULE_CATEGORY "app"
#endif

typedef void (*log_output_fn)(const char* text, int level, const char* category);

void log_message(int level, const char* category, const char* text);
void log_printf(int level, const char* category, const char* format, ...) __attribute__((format(printf, 3, 4)));
void log_set_output(log_output_fn output, int level);
int log_enabled(int level);

#define LOG(level, text) \
    do { \
        if (LOG_LEVEL_##level >= LOG_COMPILE_TIME_LEVEL) { \
            log_message(LOG_LEVEL_##level, LOG_MODULE_CATEGORY, text); \
        } \
    } while (0)

#define LOG_FMT(level, ...) \
    do { \
        if (LOG_LEVEL_##level >= LOG_COMPILE_TIME_LEVEL) { \
            log_printf(LOG_LEVEL_##level, LOG_MODULE_CATEGORY, __VA_ARGS__); \
        } \
    } while (0)

#ifdef __cplusplus
}
#endif
