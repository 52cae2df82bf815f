#include "spark_wiring.h"

// TX/RX pins
USARTSerial Serial1(HAL_USART_SERIAL1);
