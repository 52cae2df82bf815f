#pragma once

#include <stdint.h>

class RGBClass {
public:
    static void control(bool take);
    static bool controlled();
    static void color(int red, int green, int blue);
    static void color(uint32_t rgb);
};

extern RGBClass RGB;
