#include <stdarg.h>
#include <string.h>
#include "logging.h"
#include "str_util.h"
#include "debug_output.h"

namespace {

struct LogState {
    log_output_fn output;
    int level;
};

LogState state = { nullptr, LOG_LEVEL_INFO };

const char* level_name(int level) {
    if (level >= LOG_LEVEL_PANIC) {
        return "PANIC";
    }
    if (level >= LOG_LEVEL_ERROR) {
        return "ERROR";
    }
    if (level >= LOG_LEVEL_WARN) {
        return "WARN";
    }
    if (level >= LOG_LEVEL_INFO) {
        return "INFO";
    }
    return "TRACE";
}

// Appends text to buf[pos..size), always NUL-terminated.
size_t append(char* buf, size_t size, size_t pos, const char* text) {
    while (*text && pos + 1 < size) {
        buf[pos++] = *text++;
    }
    buf[pos < size ? pos : size - 1] = '\0';
    return pos;
}

} // namespace

extern "C" int log_enabled(int level) {
    return level >= state.level;
}

extern "C" void log_set_output(log_output_fn output, int level) {
    state.output = output;
    state.level = level;
}

extern "C" void log_message(int level, const char* category, const char* text) {
    if (!log_enabled(level)) {
        return;
    }
    char line[96];
    size_t pos = append(line, sizeof(line), 0, "[");
    pos = append(line, sizeof(line), pos, category ? category : "app");
    pos = append(line, sizeof(line), pos, "] ");
    pos = append(line, sizeof(line), pos, level_name(level));
    pos = append(line, sizeof(line), pos, ": ");
    append(line, sizeof(line), pos, text);
    if (state.output) {
        state.output(line, level, category);
    } else {
        debug_output(line);
    }
}

// A small printf: %s %d %u %x %c and %%.
extern "C" void log_printf(int level, const char* category, const char* format, ...) {
    if (!log_enabled(level)) {
        return;
    }
    char text[80];
    size_t pos = 0;
    va_list args;
    va_start(args, format);
    for (const char* p = format; *p && pos + 1 < sizeof(text); p++) {
        if (*p != '%') {
            text[pos++] = *p;
            continue;
        }
        char number[12];
        switch (*++p) {
        case 's':
            pos = append(text, sizeof(text), pos, va_arg(args, const char*));
            break;
        case 'd':
            str_from_int(number, sizeof(number), va_arg(args, int));
            pos = append(text, sizeof(text), pos, number);
            break;
        case 'u':
            str_from_uint(number, sizeof(number), va_arg(args, unsigned), 10);
            pos = append(text, sizeof(text), pos, number);
            break;
        case 'x':
            str_from_uint(number, sizeof(number), va_arg(args, unsigned), 16);
            pos = append(text, sizeof(text), pos, number);
            break;
        case 'c':
            text[pos++] = (char)va_arg(args, int);
            break;
        case '%':
            text[pos++] = '%';
            break;
        default:
            p--;
            break;
        }
    }
    va_end(args);
    text[pos] = '\0';
    log_message(level, category, text);
}
