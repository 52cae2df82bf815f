#pragma once

#include "spark_wiring_stream.h"
#include "usart_hal.h"

class USARTSerial : public Stream {
public:
    explicit USARTSerial(HAL_USART_Serial serial) : serial_(serial) {}

    void begin(uint32_t baud);
    void end();
    bool isEnabled() const { return enabled_; }

    int available() override;
    int read() override;
    int peek() override;
    void flush() override;
    size_t write(uint8_t c) override;
    using Print::write;

    explicit operator bool() const { return enabled_; }

private:
    HAL_USART_Serial serial_;
    int peeked_ = -1;
    bool enabled_ = false;
};

extern USARTSerial Serial1;
