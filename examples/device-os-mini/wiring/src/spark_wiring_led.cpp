#include "spark_wiring.h"
#include "led_service.h"

namespace {

bool user_control;

} // namespace

void RGBClass::control(bool take) {
    user_control = take;
    if (!take) {
        led_clear_status(LED_PRIORITY_IMPORTANT);
    }
}

bool RGBClass::controlled() {
    return user_control;
}

void RGBClass::color(int red, int green, int blue) {
    color(((uint32_t)constrain(red, 0, 255) << 16) | ((uint32_t)constrain(green, 0, 255) << 8)
            | (uint32_t)constrain(blue, 0, 255));
}

void RGBClass::color(uint32_t rgb) {
    if (user_control) {
        led_set_status(rgb, LED_PATTERN_SOLID, LED_PRIORITY_IMPORTANT);
    }
}
