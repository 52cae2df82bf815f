#include "system_network.h"
#include "logging.h"

#if PLATFORM_ID == 10
#include "cellular_hal.h"
#define NETWORK_DEFAULT_APN "spark.telefonica.com"
#else
#include "wlan_hal.h"
#endif

namespace {

bool network_on;

} // namespace

extern "C" void network_connect(int iface) {
    (void)iface;
    if (network_on) {
        return;
    }
    network_on = true;
#if PLATFORM_ID == 10
    cellular_on();
    cellular_connect(NETWORK_DEFAULT_APN);
#else
    wlan_connect();
#endif
}

extern "C" void network_disconnect(int iface) {
    (void)iface;
    network_on = false;
#if PLATFORM_ID != 10
    wlan_disconnect();
#endif
}

extern "C" int network_ready(int iface) {
    (void)iface;
    if (!network_on) {
        return 0;
    }
#if PLATFORM_ID == 10
    return cellular_ready();
#else
    return wlan_ready();
#endif
}

extern "C" int network_signal(int iface) {
    (void)iface;
#if PLATFORM_ID == 10
    return cellular_signal();
#else
    return wlan_rssi();
#endif
}
