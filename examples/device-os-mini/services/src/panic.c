#include "panic.h"
#include "logging.h"
#include "led_service.h"
#include "str_util.h"

#define SCB_AIRCR (*(volatile unsigned*)0xE000ED0Cu)

static volatile int last_panic_code;

void panic_(int code, const char* where)
{
    char text[48];
    size_t n = str_copy(text, sizeof(text), "panic ");
    str_from_int(text + n, sizeof(text) - n, code);
    last_panic_code = code;
    log_message(LOG_LEVEL_PANIC, where, text);
    led_set_status(RGB_COLOR_RED, LED_PATTERN_BLINK, LED_PRIORITY_CRITICAL);
    /* request a system reset and wait for it */
    SCB_AIRCR = (0x5FAu << 16) | (1u << 2);
    for (;;) {
    }
}
