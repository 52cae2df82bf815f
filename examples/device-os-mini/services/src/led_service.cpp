#include "led_service.h"
#include "gpio_hal.h"

namespace {

// The RGB LED of the Gen 2 devices is on PA1 (red), PA2 (green), PA3 (blue).
constexpr pin_t RGB_PINS[3] = { 1, 2, 3 };
constexpr int PRIORITIES = LED_PRIORITY_CRITICAL + 1;

struct LedStatus {
    uint32_t color;
    int pattern;
    bool active;
};

class LedService {
public:
    void set(uint32_t color, int pattern, int priority) {
        if (priority < 0 || priority >= PRIORITIES) {
            return;
        }
        status_[priority] = { color, pattern, true };
    }

    void clear(int priority) {
        if (priority >= 0 && priority < PRIORITIES) {
            status_[priority].active = false;
        }
    }

    const LedStatus* current() const {
        for (int i = PRIORITIES - 1; i >= 0; i--) {
            if (status_[i].active) {
                return &status_[i];
            }
        }
        return nullptr;
    }

    void update(uint32_t ticks) {
        const LedStatus* s = current();
        uint32_t color = s ? s->color : 0;
        if (s && s->pattern == LED_PATTERN_BLINK && ((ticks / 250) & 1)) {
            color = 0;
        }
        for (int i = 0; i < 3; i++) {
            const uint8_t level = (color >> (16 - 8 * i)) & 0xFF;
            HAL_GPIO_Write(RGB_PINS[i], level >= 0x80 ? 0 : 1);  // active low
        }
    }

private:
    LedStatus status_[PRIORITIES] = {};
};

LedService service;

} // namespace

extern "C" void led_set_status(uint32_t color, int pattern, int priority) {
    service.set(color, pattern, priority);
}

extern "C" void led_clear_status(int priority) {
    service.clear(priority);
}

extern "C" uint32_t led_current_color(void) {
    const LedStatus* s = service.current();
    return s ? s->color : 0;
}

extern "C" void led_service_update(uint32_t ticks_ms) {
    service.update(ticks_ms);
}
