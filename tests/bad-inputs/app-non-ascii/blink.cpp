/*
 * Blinks the small blue LED next to the USB connector (D7) once a second.
 */
#include "Particle.h"

const int led = D7;

void setup() {
    pinMode(led, OUTPUT);
}

void loop() {
    digitalWrite(led, HIGH);
    delay(500);
    digitalWrite(led, LOW);
    delay(500);
}
