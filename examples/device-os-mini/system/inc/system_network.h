#pragma once

#ifdef __cplusplus
extern "C" {
#endif

typedef enum network_interface_t {
    NETWORK_INTERFACE_ALL = 0,
    NETWORK_INTERFACE_CELLULAR = 2,
    NETWORK_INTERFACE_WIFI_STA = 4
} network_interface_t;

void network_connect(int iface);
void network_disconnect(int iface);
int network_ready(int iface);
int network_signal(int iface);

#ifdef __cplusplus
}
#endif
