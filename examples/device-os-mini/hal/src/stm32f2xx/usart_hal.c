#include "usart_hal.h"
#include "stm32f2xx_regs.h"

#define USART_RX_BUFFER_SIZE 64

typedef struct usart_state_t {
    usart_regs_t* regs;
    uint8_t rx[USART_RX_BUFFER_SIZE];
    uint16_t head;
    uint16_t tail;
    uint8_t enabled;
} usart_state_t;

static usart_state_t usarts[TOTAL_USARTS];

static usart_regs_t* usart_regs(HAL_USART_Serial serial)
{
    switch (serial) {
    case HAL_USART_SERIAL1:
        return USART1_REGS;
    case HAL_USART_SERIAL2:
        return USART2_REGS;
    default:
        return USART3_REGS;
    }
}

void HAL_USART_Init(HAL_USART_Serial serial)
{
    if (serial >= TOTAL_USARTS) {
        return;
    }
    usarts[serial].regs = usart_regs(serial);
    usarts[serial].head = usarts[serial].tail = 0;
}

void HAL_USART_Begin(HAL_USART_Serial serial, uint32_t baud)
{
    if (serial >= TOTAL_USARTS || !usarts[serial].regs || !baud) {
        return;
    }
    usart_regs_t* regs = usarts[serial].regs;
    regs->BRR = (serial == HAL_USART_SERIAL1 ? 60000000u : 30000000u) / baud;
    regs->CR1 = (1u << 13) | (1u << 3) | (1u << 2) | (1u << 5);
    usarts[serial].enabled = 1;
}

uint32_t HAL_USART_Write_Data(HAL_USART_Serial serial, uint8_t data)
{
    if (serial >= TOTAL_USARTS || !usarts[serial].enabled) {
        return 0;
    }
    usart_regs_t* regs = usarts[serial].regs;
    while (!(regs->SR & (1u << 7))) {
    }
    regs->DR = data;
    return 1;
}

static void usart_poll(usart_state_t* state)
{
    while (state->regs->SR & (1u << 5)) {
        uint16_t next = (uint16_t)((state->head + 1) % USART_RX_BUFFER_SIZE);
        uint8_t c = (uint8_t)state->regs->DR;
        if (next != state->tail) {
            state->rx[state->head] = c;
            state->head = next;
        }
    }
}

int32_t HAL_USART_Available_Data(HAL_USART_Serial serial)
{
    if (serial >= TOTAL_USARTS || !usarts[serial].enabled) {
        return 0;
    }
    usart_poll(&usarts[serial]);
    return (int32_t)((usarts[serial].head + USART_RX_BUFFER_SIZE - usarts[serial].tail) % USART_RX_BUFFER_SIZE);
}

int32_t HAL_USART_Read_Data(HAL_USART_Serial serial)
{
    if (HAL_USART_Available_Data(serial) <= 0) {
        return -1;
    }
    usart_state_t* state = &usarts[serial];
    uint8_t c = state->rx[state->tail];
    state->tail = (uint16_t)((state->tail + 1) % USART_RX_BUFFER_SIZE);
    return c;
}
