#pragma once

#include <stdint.h>
#include "timer_hal.h"

inline uint32_t millis() { return HAL_Timer_Get_Milli_Seconds(); }
inline uint32_t micros() { return HAL_Timer_Get_Micro_Seconds(); }

void delay(unsigned long ms);
void delayMicroseconds(unsigned int us);
