#include "spark_wiring.h"

int Stream::timedRead() {
    const uint32_t start = millis();
    do {
        int c = read();
        if (c >= 0) {
            return c;
        }
    } while (millis() - start < timeout_);
    return -1;
}

int Stream::timedPeek() {
    const uint32_t start = millis();
    do {
        int c = peek();
        if (c >= 0) {
            return c;
        }
    } while (millis() - start < timeout_);
    return -1;
}

size_t Stream::readBytes(char* buffer, size_t length) {
    size_t count = 0;
    while (count < length) {
        int c = timedRead();
        if (c < 0) {
            break;
        }
        buffer[count++] = (char)c;
    }
    return count;
}

size_t Stream::readBytesUntil(char terminator, char* buffer, size_t length) {
    size_t count = 0;
    while (count < length) {
        int c = timedRead();
        if (c < 0 || c == terminator) {
            break;
        }
        buffer[count++] = (char)c;
    }
    return count;
}

String Stream::readStringUntil(char terminator) {
    String result;
    int c = timedRead();
    while (c >= 0 && c != terminator) {
        result.concat((char)c);
        c = timedRead();
    }
    return result;
}

long Stream::parseInt() {
    int c = timedPeek();
    while (c >= 0 && c != '-' && (c < '0' || c > '9')) {
        read();
        c = timedPeek();
    }
    bool negative = false;
    long value = 0;
    if (c == '-') {
        negative = true;
        read();
        c = timedPeek();
    }
    while (c >= '0' && c <= '9') {
        value = value * 10 + (c - '0');
        read();
        c = timedPeek();
    }
    return negative ? -value : value;
}

bool Stream::find(const char* target) {
    size_t matched = 0;
    const size_t len = strlen(target);
    if (!len) {
        return true;
    }
    int c;
    while ((c = timedRead()) >= 0) {
        if (c == target[matched]) {
            if (++matched == len) {
                return true;
            }
        } else {
            matched = (c == target[0]) ? 1 : 0;
        }
    }
    return false;
}
