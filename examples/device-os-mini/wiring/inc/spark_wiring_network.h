#pragma once

#include "system_network.h"
#include "spark_wiring_platform.h"

class NetworkClass {
public:
    explicit NetworkClass(network_interface_t iface) : iface_(iface) {}

    void connect() { network_connect(iface_); }
    void disconnect() { network_disconnect(iface_); }
    bool ready() const { return network_ready(iface_); }
    int signal() const { return network_signal(iface_); }

private:
    network_interface_t iface_;
};

#if Wiring_WiFi
class WiFiClass : public NetworkClass {
public:
    WiFiClass() : NetworkClass(NETWORK_INTERFACE_WIFI_STA) {}
    int RSSI() const;
};

extern WiFiClass WiFi;
#endif

#if Wiring_Cellular
class CellularClass : public NetworkClass {
public:
    CellularClass() : NetworkClass(NETWORK_INTERFACE_CELLULAR) {}
    int signalQuality() const;
};

extern CellularClass Cellular;
#endif
