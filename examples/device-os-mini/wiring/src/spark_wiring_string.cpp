#include <stdlib.h>
#include <string.h>
#include "spark_wiring_string.h"
#include "spark_wiring_print.h"
#include "str_util.h"

String::String(const char* cstr) {
    if (cstr) {
        copy(cstr, strlen(cstr));
    }
}

String::String(const char* cstr, unsigned length) {
    copy(cstr, length);
}

String::String(const String& other) : Printable() {
    copy(other.c_str(), other.len_);
}

String::String(String&& other) noexcept : buffer_(other.buffer_), capacity_(other.capacity_), len_(other.len_) {
    other.buffer_ = nullptr;
    other.capacity_ = 0;
    other.len_ = 0;
}

String::String(char c) {
    copy(&c, 1);
}

String::String(int value, unsigned char base) : String((long)value, base) {
}

String::String(unsigned value, unsigned char base) : String((unsigned long)value, base) {
}

String::String(long value, unsigned char base) {
    char buf[34];
    if (base == 10) {
        str_from_int(buf, sizeof(buf), (int32_t)value);
    } else {
        str_from_uint(buf, sizeof(buf), (uint32_t)value, base);
    }
    copy(buf, strlen(buf));
}

String::String(unsigned long value, unsigned char base) {
    char buf[34];
    str_from_uint(buf, sizeof(buf), value, base);
    copy(buf, strlen(buf));
}

String::~String() {
    free(buffer_);
}

void String::invalidate() {
    free(buffer_);
    buffer_ = nullptr;
    capacity_ = len_ = 0;
}

bool String::reserve(unsigned size) {
    if (buffer_ && capacity_ >= size) {
        return true;
    }
    char* p = (char*)realloc(buffer_, size + 1);
    if (!p) {
        return false;
    }
    if (!buffer_) {
        p[0] = '\0';
    }
    buffer_ = p;
    capacity_ = size;
    return true;
}

String& String::copy(const char* cstr, unsigned length) {
    if (!reserve(length)) {
        invalidate();
        return *this;
    }
    len_ = length;
    memcpy(buffer_, cstr, length);
    buffer_[length] = '\0';
    return *this;
}

String& String::operator=(const String& other) {
    if (this != &other) {
        copy(other.c_str(), other.len_);
    }
    return *this;
}

String& String::operator=(String&& other) noexcept {
    if (this != &other) {
        free(buffer_);
        buffer_ = other.buffer_;
        capacity_ = other.capacity_;
        len_ = other.len_;
        other.buffer_ = nullptr;
        other.capacity_ = other.len_ = 0;
    }
    return *this;
}

String& String::operator=(const char* cstr) {
    return cstr ? copy(cstr, strlen(cstr)) : (invalidate(), *this);
}

bool String::concat(const char* cstr, unsigned length) {
    if (!length) {
        return true;
    }
    if (!reserve(len_ + length)) {
        return false;
    }
    memcpy(buffer_ + len_, cstr, length);
    len_ += length;
    buffer_[len_] = '\0';
    return true;
}

bool String::concat(const char* cstr) {
    return cstr ? concat(cstr, strlen(cstr)) : false;
}

bool String::concat(int value) {
    return concat(String(value));
}

bool String::concat(unsigned long value) {
    return concat(String(value));
}

bool String::equals(const char* cstr) const {
    return strcmp(c_str(), cstr ? cstr : "") == 0;
}

bool String::startsWith(const String& prefix) const {
    return prefix.len_ <= len_ && strncmp(c_str(), prefix.c_str(), prefix.len_) == 0;
}

int String::indexOf(char c, unsigned from) const {
    for (unsigned i = from; i < len_; i++) {
        if (buffer_[i] == c) {
            return (int)i;
        }
    }
    return -1;
}

String String::substring(unsigned begin, unsigned end) const {
    if (begin > end) {
        unsigned t = begin;
        begin = end;
        end = t;
    }
    if (begin >= len_) {
        return String();
    }
    if (end > len_) {
        end = len_;
    }
    return String(buffer_ + begin, end - begin);
}

long String::toInt() const {
    int32_t value = 0;
    return str_to_int(c_str(), &value) == 0 ? value : 0;
}

void String::toUpperCase() {
    for (unsigned i = 0; i < len_; i++) {
        if (buffer_[i] >= 'a' && buffer_[i] <= 'z') {
            buffer_[i] = (char)(buffer_[i] - 'a' + 'A');
        }
    }
}

void String::trim() {
    if (!len_) {
        return;
    }
    unsigned begin = 0;
    while (begin < len_ && (buffer_[begin] == ' ' || buffer_[begin] == '\t' || buffer_[begin] == '\r' || buffer_[begin] == '\n')) {
        begin++;
    }
    unsigned end = len_;
    while (end > begin && (buffer_[end - 1] == ' ' || buffer_[end - 1] == '\t' || buffer_[end - 1] == '\r' || buffer_[end - 1] == '\n')) {
        end--;
    }
    memmove(buffer_, buffer_ + begin, end - begin);
    len_ = end - begin;
    buffer_[len_] = '\0';
}

size_t String::printTo(Print& p) const {
    return p.write((const uint8_t*)c_str(), len_);
}

String operator+(const String& lhs, const String& rhs) {
    String result(lhs);
    result.concat(rhs);
    return result;
}

String operator+(const String& lhs, const char* rhs) {
    String result(lhs);
    result.concat(rhs);
    return result;
}
