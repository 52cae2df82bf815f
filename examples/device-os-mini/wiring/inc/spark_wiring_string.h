#pragma once

#include <stddef.h>
#include <stdint.h>
#include <type_traits>
#include <utility>
#include "spark_wiring_printable.h"

// A growable string on the heap (malloc/realloc/free).
class String : public Printable {
public:
    String(const char* cstr = "");
    String(const char* cstr, unsigned length);
    String(const String& other);
    String(String&& other) noexcept;
    explicit String(char c);
    explicit String(int value, unsigned char base = 10);
    explicit String(unsigned value, unsigned char base = 10);
    explicit String(long value, unsigned char base = 10);
    explicit String(unsigned long value, unsigned char base = 10);
    ~String();

    String& operator=(const String& other);
    String& operator=(String&& other) noexcept;
    String& operator=(const char* cstr);

    bool concat(const char* cstr, unsigned length);
    bool concat(const char* cstr);
    bool concat(const String& other) { return concat(other.buffer_, other.len_); }
    bool concat(char c) { return concat(&c, 1); }
    bool concat(int value);
    bool concat(unsigned long value);

    template <typename T>
    String& operator+=(const T& value) {
        concat(value);
        return *this;
    }

    const char* c_str() const { return buffer_ ? buffer_ : ""; }
    unsigned length() const { return len_; }
    char charAt(unsigned index) const { return index < len_ ? buffer_[index] : 0; }
    char operator[](unsigned index) const { return charAt(index); }

    bool equals(const char* cstr) const;
    bool equals(const String& other) const { return equals(other.c_str()); }
    bool operator==(const char* cstr) const { return equals(cstr); }
    bool operator==(const String& other) const { return equals(other); }
    bool operator!=(const char* cstr) const { return !equals(cstr); }
    bool startsWith(const String& prefix) const;

    int indexOf(char c, unsigned from = 0) const;
    String substring(unsigned begin, unsigned end) const;
    String substring(unsigned begin) const { return substring(begin, len_); }
    long toInt() const;
    void toUpperCase();
    void trim();

    size_t printTo(Print& p) const override;

private:
    bool reserve(unsigned size);
    void invalidate();
    String& copy(const char* cstr, unsigned length);

    char* buffer_ = nullptr;
    unsigned capacity_ = 0;
    unsigned len_ = 0;
};

String operator+(const String& lhs, const String& rhs);
String operator+(const String& lhs, const char* rhs);

static_assert(std::is_nothrow_move_constructible<String>::value, "String must be nothrow movable");
