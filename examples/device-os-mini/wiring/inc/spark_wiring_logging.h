#pragma once

#include "logging.h"

class Logger {
public:
    explicit Logger(const char* category = "app") : category_(category) {}

    void trace(const char* text) const { log(LOG_LEVEL_TRACE, text); }
    void info(const char* text) const { log(LOG_LEVEL_INFO, text); }
    void warn(const char* text) const { log(LOG_LEVEL_WARN, text); }
    void error(const char* text) const { log(LOG_LEVEL_ERROR, text); }
    void log(int level, const char* text) const;

private:
    const char* category_;
};

extern const Logger Log;
