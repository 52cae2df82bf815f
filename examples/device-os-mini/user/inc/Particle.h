#pragma once

// Everything an application uses: pins, Serial1, Particle (cloud), System, Time, RGB, WiFi/Cellular
#include "spark_wiring.h"
