/* Startup code of the Electron system part with index 2 (modules/electron/system-part3). */
    .syntax unified
    .cpu cortex-m3
    .thumb

#define RESET_PRE_INIT_HOOK system_part2_pre_init

#include "vector_table.inc"
#include "reset_handler.inc"

/* SPARK_INIT_STARTUP is given with -Wa,--defsym by the module's build.mk */
    .ifdef SPARK_INIT_STARTUP
    .section .text.electron_startup_marker,"ax",%progbits
    .thumb_func
    .global electron_startup_marker
    .type electron_startup_marker, %function
electron_startup_marker:
    movs  r0, #SPARK_INIT_STARTUP
    bx    lr
    .size electron_startup_marker, . - electron_startup_marker
    .endif
