#include "spark_wiring.h"

void Logger::log(int level, const char* text) const {
    log_message(level, category_, text);
}
