#include "spark_wiring.h"

#if Wiring_WiFi
#include "wlan_hal.h"

int WiFiClass::RSSI() const {
    return ready() ? wlan_rssi() : 0;
}
#endif

#if Wiring_Cellular
#include "cellular_hal.h"

int CellularClass::signalQuality() const {
    const int signal = cellular_signal();
    return signal < 0 ? 0 : (signal > 100 ? 100 : signal);
}
#endif
