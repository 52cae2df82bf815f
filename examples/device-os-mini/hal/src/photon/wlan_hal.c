#include "wlan_hal.h"
#include "timer_hal.h"
#include "logging.h"

/* Stand-in for the Broadcom WICED driver: connects after a short while. */
static uint32_t connect_started;
static int connecting;

int wlan_connect(void)
{
    if (!connecting) {
        connecting = 1;
        connect_started = HAL_Timer_Get_Milli_Seconds();
        LOG(INFO, "Wi-Fi connecting");
    }
    return 0;
}

int wlan_disconnect(void)
{
    connecting = 0;
    return 0;
}

int wlan_ready(void)
{
    return connecting && HAL_Timer_Get_Milli_Seconds() - connect_started > 3000u;
}

int wlan_rssi(void)
{
    return wlan_ready() ? -55 : 2;
}
