#pragma once

#include "hal_types.h"

#ifdef __cplusplus
extern "C" {
#endif

int wlan_connect(void);
int wlan_disconnect(void);
int wlan_ready(void);
int wlan_rssi(void);

#ifdef __cplusplus
}
#endif
