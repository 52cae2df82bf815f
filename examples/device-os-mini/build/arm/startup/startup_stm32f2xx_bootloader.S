/* Startup code of the bootloader: the vector table at 0x08000000, then the
 * reset handler, which calls SystemInit() (platform library) before main(). */
    .syntax unified
    .cpu cortex-m3
    .thumb

#define RESET_PRE_INIT_HOOK SystemInit

#include "vector_table.inc"
#include "reset_handler.inc"
