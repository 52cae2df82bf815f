#pragma once

/*
 * Calls between separately linked modules go through tables of function
 * addresses. A table is described once, in a header:
 *
 *     DYNALIB_BEGIN(hal_gpio)
 *     DYNALIB_FN(0, hal_gpio, HAL_Pin_Mode, void(uint16_t, uint8_t))
 *     DYNALIB_FN(1, hal_gpio, HAL_GPIO_Write, void(uint16_t, uint8_t))
 *     DYNALIB_END(hal_gpio)
 *
 * Compiled with DYNALIB_EXPORT (in the module that implements the functions)
 * the header defines the table dynalib_hal_gpio[]. Compiled with
 * DYNALIB_IMPORT (in a module that calls them) it defines one stub per
 * function that loads the table address from dynalib_location_hal_gpio (a
 * flash word of the exporting module, given by its export linker script),
 * picks entry <index> and jumps there with the caller's arguments untouched.
 * Without either it declares nothing.
 */

#ifdef __cplusplus
#define DYNALIB_EXTERN_C extern "C"
#define DYNALIB_EXTERN_DECL extern "C"
#else
#define DYNALIB_EXTERN_C
#define DYNALIB_EXTERN_DECL extern
#endif

#define DYNALIB_TABLE_NAME(tablename) dynalib_##tablename
#define DYNALIB_TABLE_EXTERN(tablename) \
    DYNALIB_EXTERN_DECL const void* const dynalib_##tablename[];

#if defined(DYNALIB_EXPORT)

#define DYNALIB_BEGIN(tablename) \
    DYNALIB_EXTERN_C const void* const dynalib_##tablename[] = {
#define DYNALIB_FN(index, tablename, name, type) \
    (const void*)&name,
#define DYNALIB_END(tablename) \
    0 };

#elif defined(DYNALIB_IMPORT)

#define DYNALIB_STRINGIFY_(x) #x
#define DYNALIB_STRINGIFY(x) DYNALIB_STRINGIFY_(x)

#define DYNALIB_BEGIN(tablename)
#define DYNALIB_FN(index, tablename, name, type) \
    DYNALIB_EXTERN_C void name(void) __attribute__((naked, noinline)); \
    DYNALIB_EXTERN_C void name(void) { \
        __asm__ volatile ( \
            "push {r3, lr}\n\t" \
            "ldr r3, =dynalib_location_" #tablename "\n\t" \
            "ldr r3, [r3]\n\t" \
            "ldr r3, [r3, #(" DYNALIB_STRINGIFY(index) " * 4)]\n\t" \
            "str r3, [sp, #4]\n\t" \
            "pop {r3, pc}\n\t"); \
    }
#define DYNALIB_END(tablename)

#else

#define DYNALIB_BEGIN(tablename)
#define DYNALIB_FN(index, tablename, name, type)
#define DYNALIB_END(tablename)

#endif
