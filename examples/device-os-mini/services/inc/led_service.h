#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RGB_COLOR_BLUE      0x000000FFu
#define RGB_COLOR_GREEN     0x0000FF00u
#define RGB_COLOR_CYAN      0x0000FFFFu
#define RGB_COLOR_RED       0x00FF0000u
#define RGB_COLOR_MAGENTA   0x00FF00FFu
#define RGB_COLOR_YELLOW    0x00FFFF00u
#define RGB_COLOR_WHITE     0x00FFFFFFu

typedef enum led_pattern_t {
    LED_PATTERN_SOLID = 0,
    LED_PATTERN_BLINK = 1,
    LED_PATTERN_FADE = 2
} led_pattern_t;

typedef enum led_priority_t {
    LED_PRIORITY_BACKGROUND = 0,
    LED_PRIORITY_NORMAL = 1,
    LED_PRIORITY_IMPORTANT = 2,
    LED_PRIORITY_CRITICAL = 3
} led_priority_t;

void led_set_status(uint32_t color, int pattern, int priority);
void led_clear_status(int priority);
uint32_t led_current_color(void);
void led_service_update(uint32_t ticks_ms);

#ifdef __cplusplus
}
#endif
