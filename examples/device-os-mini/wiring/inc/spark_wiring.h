#pragma once

#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>

#include "spark_wiring_platform.h"
#include "spark_wiring_constants.h"
#include "hal_types.h"
#include "spark_wiring_print.h"
#include "spark_wiring_string.h"
#include "spark_wiring_stream.h"
#include "spark_wiring_usartserial.h"
#include "spark_wiring_cloud.h"
#include "spark_wiring_system.h"
#include "spark_wiring_time.h"
#include "spark_wiring_led.h"
#include "spark_wiring_ticks.h"
#include "spark_wiring_version.h"
#include "spark_wiring_network.h"
#include "spark_wiring_logging.h"

// the application's entry points
void setup();
void loop();

void pinMode(uint16_t pin, PinMode mode);
PinMode getPinMode(uint16_t pin);
void digitalWrite(uint16_t pin, uint8_t value);
int32_t digitalRead(uint16_t pin);
int32_t analogRead(uint16_t pin);

long map(long value, long from_low, long from_high, long to_low, long to_high);

template <typename T>
constexpr T constrain(T value, T low, T high) {
    return value < low ? low : (value > high ? high : value);
}
