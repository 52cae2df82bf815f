#include "spark_wiring.h"

CloudClass Particle;
SystemClass System;
TimeClass Time;
RGBClass RGB;
const Logger Log("app");
