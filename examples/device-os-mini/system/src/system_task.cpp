#include "system_task.h"
#include "system_mode.h"
#include "system_cloud.h"
#include "system_network.h"
#include "system_threading.h"
#include "core_hal.h"
#include "timer_hal.h"
#include "led_service.h"
#include "logging.h"

namespace {

enum class ConnectionState { OFF, NETWORK, CLOUD };

ConnectionState connection = ConnectionState::OFF;
uint32_t last_led_update;

void update_led(uint32_t now) {
    if (now - last_led_update < 10) {
        return;
    }
    last_led_update = now;
    switch (connection) {
    case ConnectionState::OFF:
        led_set_status(RGB_COLOR_WHITE, LED_PATTERN_FADE, LED_PRIORITY_BACKGROUND);
        break;
    case ConnectionState::NETWORK:
        led_set_status(RGB_COLOR_GREEN, LED_PATTERN_BLINK, LED_PRIORITY_BACKGROUND);
        break;
    case ConnectionState::CLOUD:
        led_set_status(RGB_COLOR_CYAN, LED_PATTERN_FADE, LED_PRIORITY_BACKGROUND);
        break;
    }
    if (system_mode() == SAFE_MODE) {
        led_set_status(RGB_COLOR_MAGENTA, LED_PATTERN_FADE, LED_PRIORITY_IMPORTANT);
    }
    led_service_update(now);
}

void manage_connection() {
    if (system_mode() == MANUAL) {
        return;
    }
    if (!network_ready(NETWORK_INTERFACE_ALL)) {
        connection = ConnectionState::OFF;
        network_connect(NETWORK_INTERFACE_ALL);
        return;
    }
    if (connection == ConnectionState::OFF) {
        LOG(INFO, "network ready");
        connection = ConnectionState::NETWORK;
    }
    if (spark_cloud_flag_connected()) {
        connection = ConnectionState::CLOUD;
        spark_process();
    } else if (system_mode() == AUTOMATIC || system_mode() == SAFE_MODE) {
        spark_cloud_flag_connect();
    }
}

} // namespace

extern "C" void system_init(void) {
    HAL_Core_Init();
    LOG_FMT(INFO, "Device OS %s on %s", "2.3.1", HAL_Core_Platform_Name());
    update_led(HAL_Timer_Get_Milli_Seconds());
}

extern "C" void system_task_loop(void) {
    manage_connection();
    particle::system::process_tasks();
    update_led(HAL_Timer_Get_Milli_Seconds());
}

extern "C" void system_delay_ms(uint32_t ms, int force_no_background_loop) {
    const uint32_t start = HAL_Timer_Get_Milli_Seconds();
    while (HAL_Timer_Get_Milli_Seconds() - start < ms) {
        if (!force_no_background_loop) {
            system_task_loop();
        }
    }
}

extern "C" uint32_t system_uptime_ms(void) {
    return HAL_Timer_Get_Milli_Seconds();
}

extern "C" void system_reset(int reason) {
    LOG_FMT(WARN, "reset requested (reason %d)", reason);
    spark_cloud_flag_disconnect();
    HAL_Core_System_Reset();
}
