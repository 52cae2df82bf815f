/* Startup code of the Photon/P1 system part 2 (the part the bootloader starts). */
    .syntax unified
    .cpu cortex-m3
    .thumb

#define RESET_PRE_INIT_HOOK system_part2_pre_init

#include "vector_table.inc"
#include "reset_handler.inc"
