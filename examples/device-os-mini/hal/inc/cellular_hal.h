#pragma once

#include "hal_types.h"

#ifdef __cplusplus
extern "C" {
#endif

int cellular_on(void);
int cellular_connect(const char* apn);
int cellular_ready(void);
int cellular_signal(void);

#ifdef __cplusplus
}
#endif
