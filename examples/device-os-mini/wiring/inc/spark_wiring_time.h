#pragma once

#include <stdint.h>
#include "spark_wiring_string.h"

class TimeClass {
public:
    static uint32_t now();
    static void setTime(uint32_t unix_time);
    static int hour();
    static int minute();
    static int second();
    static bool isValid();
    static String timeStr();
};

extern TimeClass Time;
