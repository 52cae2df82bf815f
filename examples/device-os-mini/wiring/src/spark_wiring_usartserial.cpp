#include "spark_wiring.h"
#include "usart_hal.h"

void USARTSerial::begin(uint32_t baud) {
    HAL_USART_Init(serial_);
    HAL_USART_Begin(serial_, baud);
    enabled_ = true;
}

void USARTSerial::end() {
    enabled_ = false;
}

int USARTSerial::available() {
    return (peeked_ >= 0 ? 1 : 0) + HAL_USART_Available_Data(serial_);
}

int USARTSerial::read() {
    if (peeked_ >= 0) {
        int c = peeked_;
        peeked_ = -1;
        return c;
    }
    return HAL_USART_Read_Data(serial_);
}

int USARTSerial::peek() {
    if (peeked_ < 0) {
        peeked_ = HAL_USART_Read_Data(serial_);
    }
    return peeked_;
}

void USARTSerial::flush() {
}

size_t USARTSerial::write(uint8_t c) {
    return enabled_ ? HAL_USART_Write_Data(serial_, c) : 0;
}
