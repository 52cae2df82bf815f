#include "system_sleep.h"
#include "system_network.h"
#include "system_cloud.h"
#include "delay_hal.h"
#include "core_hal.h"
#include "logging.h"

extern "C" int system_sleep(uint32_t seconds, int mode) {
    LOG_FMT(INFO, "sleeping for %u s", (unsigned)seconds);
    switch (mode) {
    case SLEEP_MODE_WLAN:
        network_disconnect(NETWORK_INTERFACE_ALL);
        HAL_Delay_Milliseconds(seconds * 1000u);
        network_connect(NETWORK_INTERFACE_ALL);
        break;
    case SLEEP_MODE_DEEP:
        spark_cloud_flag_disconnect();
        network_disconnect(NETWORK_INTERFACE_ALL);
        HAL_Core_System_Reset();
        break;
    default:
        HAL_Delay_Milliseconds(seconds * 1000u);
        break;
    }
    return 0;
}
