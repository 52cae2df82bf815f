/*
 * Stand-in for the u-blox SARA modem driver: AT commands over USART3,
 * power and reset lines on the modem control pins.
 */
#include <stdlib.h>
#include <string.h>
#include "cellular_hal.h"
#include "gpio_hal.h"
#include "usart_hal.h"
#include "delay_hal.h"
#include "timer_hal.h"
#include "logging.h"

namespace {

constexpr pin_t PWR_UC = 36;
constexpr pin_t RESET_UC = 37;
constexpr HAL_USART_Serial MODEM_SERIAL = HAL_USART_SERIAL3;

enum class ModemState { OFF, ON, REGISTERED, CONNECTED };

struct Modem {
    ModemState state;
    char* apn;
    uint32_t connect_started;
    int signal;
};

Modem modem = { ModemState::OFF, nullptr, 0, 99 };

void send_command(const char* command) {
    for (const char* p = command; *p; p++) {
        HAL_USART_Write_Data(MODEM_SERIAL, (uint8_t)*p);
    }
    HAL_USART_Write_Data(MODEM_SERIAL, '\r');
}

} // namespace

extern "C" int cellular_on(void) {
    if (modem.state != ModemState::OFF) {
        return 0;
    }
    HAL_Pin_Mode(PWR_UC, OUTPUT);
    HAL_Pin_Mode(RESET_UC, OUTPUT);
    HAL_GPIO_Write(RESET_UC, 1);
    HAL_GPIO_Write(PWR_UC, 0);
    HAL_Delay_Milliseconds(50);
    HAL_GPIO_Write(PWR_UC, 1);
    HAL_USART_Init(MODEM_SERIAL);
    HAL_USART_Begin(MODEM_SERIAL, 115200);
    send_command("AT");
    modem.state = ModemState::ON;
    LOG(INFO, "modem on");
    return 0;
}

extern "C" int cellular_connect(const char* apn) {
    if (modem.state == ModemState::OFF) {
        return -1;
    }
    free(modem.apn);
    modem.apn = (char*)malloc(strlen(apn) + 1);
    if (modem.apn) {
        strcpy(modem.apn, apn);
    }
    send_command("AT+CGDCONT=1,\"IP\"");
    send_command("AT+UPSDA=0,3");
    modem.state = ModemState::REGISTERED;
    modem.connect_started = HAL_Timer_Get_Milli_Seconds();
    return 0;
}

extern "C" int cellular_ready(void) {
    if (modem.state == ModemState::REGISTERED && HAL_Timer_Get_Milli_Seconds() - modem.connect_started > 5000u) {
        modem.state = ModemState::CONNECTED;
        modem.signal = 21;
        LOG(INFO, "cellular data connected");
    }
    return modem.state == ModemState::CONNECTED;
}

extern "C" int cellular_signal(void) {
    if (HAL_USART_Available_Data(MODEM_SERIAL) > 0) {
        HAL_USART_Read_Data(MODEM_SERIAL);
    }
    return modem.state == ModemState::CONNECTED ? modem.signal * 100 / 31 : 0;
}
