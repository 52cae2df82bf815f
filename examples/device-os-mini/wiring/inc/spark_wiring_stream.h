#pragma once

#include "spark_wiring_print.h"
#include "spark_wiring_string.h"

class Stream : public Print {
public:
    virtual int available() = 0;
    virtual int read() = 0;
    virtual int peek() = 0;
    virtual void flush() = 0;

    void setTimeout(uint32_t timeout_ms) { timeout_ = timeout_ms; }
    uint32_t getTimeout() const { return timeout_; }

    size_t readBytes(char* buffer, size_t length);
    size_t readBytesUntil(char terminator, char* buffer, size_t length);
    String readStringUntil(char terminator);
    long parseInt();
    bool find(const char* target);

protected:
    int timedRead();
    int timedPeek();

private:
    uint32_t timeout_ = 1000;
};
