#include "spark_wiring_print.h"
#include "spark_wiring_string.h"

size_t Print::write(const uint8_t* buffer, size_t size) {
    size_t n = 0;
    while (size--) {
        if (!write(*buffer++)) {
            break;
        }
        n++;
    }
    return n;
}

size_t Print::print(const char* str) {
    return write(str);
}

size_t Print::print(char c) {
    return write((uint8_t)c);
}

size_t Print::print(int value, int base) {
    return print((long)value, base);
}

size_t Print::print(unsigned value, int base) {
    return print((unsigned long)value, base);
}

size_t Print::print(long value, int base) {
    if (base == DEC && value < 0) {
        size_t n = print('-');
        return n + printNumber((unsigned long)(-(value + 1)) + 1u, DEC);
    }
    return printNumber((unsigned long)value, (uint8_t)base);
}

size_t Print::print(unsigned long value, int base) {
    return printNumber(value, (uint8_t)base);
}

size_t Print::print(double value, int digits) {
    return printFloat(value, (uint8_t)digits);
}

size_t Print::print(const Printable& value) {
    return value.printTo(*this);
}

size_t Print::print(const String& value) {
    return write((const uint8_t*)value.c_str(), value.length());
}

size_t Print::println() {
    return write((const uint8_t*)"\r\n", 2);
}

size_t Print::printNumber(unsigned long value, uint8_t base) {
    char buf[8 * sizeof(long) + 1];
    char* p = &buf[sizeof(buf) - 1];
    *p = '\0';
    if (base < 2) {
        base = 10;
    }
    do {
        unsigned long digit = value % base;
        value /= base;
        *--p = (char)(digit < 10 ? '0' + digit : 'A' + digit - 10);
    } while (value);
    return write(p);
}

size_t Print::printFloat(double value, uint8_t digits) {
    if (value != value) {
        return print("nan");
    }
    size_t n = 0;
    if (value < 0.0) {
        n += print('-');
        value = -value;
    }
    double rounding = 0.5;
    for (uint8_t i = 0; i < digits; i++) {
        rounding /= 10.0;
    }
    value += rounding;
    unsigned long whole = (unsigned long)value;
    double rest = value - (double)whole;
    n += print(whole);
    if (digits > 0) {
        n += print('.');
    }
    while (digits-- > 0) {
        rest *= 10.0;
        unsigned digit = (unsigned)rest;
        n += print(digit);
        rest -= digit;
    }
    return n;
}
