/*
 * Default application of the user part built by 'make -C modules': a small
 * Tinker (cloud functions to read and write pins).
 */
#include "Particle.h"

PRODUCT_ID(PLATFORM_ID);
PRODUCT_VERSION(3);

namespace {

int parsePin(const String& name) {
    if (name.length() < 2) {
        return -1;
    }
    const int number = name.charAt(1) - '0';
    if (number < 0 || number > 7) {
        return -1;
    }
    if (name.charAt(0) == 'D') {
        return D0 + number;
    }
    if (name.charAt(0) == 'A') {
        return A0 + number;
    }
    return -1;
}

int tinkerDigitalRead(String pin) {
    const int p = parsePin(pin);
    if (p < 0) {
        return -1;
    }
    pinMode(p, INPUT_PULLDOWN);
    return digitalRead(p);
}

int tinkerDigitalWrite(String command) {
    const int comma = command.indexOf(',');
    const int p = parsePin(command.substring(0, comma < 0 ? command.length() : (unsigned)comma));
    if (p < 0 || comma < 0) {
        return -1;
    }
    const String value = command.substring(comma + 1);
    pinMode(p, OUTPUT);
    digitalWrite(p, value == "HIGH" ? HIGH : LOW);
    return 1;
}

int tinkerAnalogRead(String pin) {
    const int p = parsePin(pin);
    return p < 0 ? -1 : analogRead(p);
}

} // namespace

void setup() {
    Particle.function("digitalread", tinkerDigitalRead);
    Particle.function("digitalwrite", tinkerDigitalWrite);
    Particle.function("analogread", tinkerAnalogRead);
    Serial1.begin(115200);
    Serial1.println("Tinker " + System.version());
}

void loop() {
    static uint32_t last = 0;
    if (millis() - last > 60000) {
        last = millis();
        Particle.publish("tinker/uptime", String(System.uptime()), PRIVATE);
    }
    delay(10);
}
