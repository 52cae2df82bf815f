#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "spark_wiring_constants.h"
#include "spark_wiring_printable.h"

class String;

class Print {
public:
    virtual size_t write(uint8_t c) = 0;
    virtual size_t write(const uint8_t* buffer, size_t size);
    size_t write(const char* str) {
        return str ? write((const uint8_t*)str, strlen(str)) : 0;
    }

    size_t print(const char* str);
    size_t print(char c);
    size_t print(int value, int base = DEC);
    size_t print(unsigned value, int base = DEC);
    size_t print(long value, int base = DEC);
    size_t print(unsigned long value, int base = DEC);
    size_t print(double value, int digits = 2);
    size_t print(const Printable& value);
    size_t print(const String& value);

    size_t println();
    template <typename T>
    size_t println(const T& value) {
        size_t n = print(value);
        return n + println();
    }
    template <typename T>
    size_t println(const T& value, int base_or_digits) {
        size_t n = print(value, base_or_digits);
        return n + println();
    }

    int getWriteError() const { return write_error_; }

protected:
    void setWriteError(int error = 1) { write_error_ = error; }

private:
    size_t printNumber(unsigned long value, uint8_t base);
    size_t printFloat(double value, uint8_t digits);
    int write_error_ = 0;
};
