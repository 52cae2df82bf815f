#pragma once

#ifdef __cplusplus
extern "C" {
#endif

typedef enum panic_code_t {
    PANIC_HARD_FAULT = 1,
    PANIC_NMI = 2,
    PANIC_MEM_MANAGE = 3,
    PANIC_BUS_FAULT = 4,
    PANIC_USAGE_FAULT = 5,
    PANIC_OUT_OF_HEAP = 8,
    PANIC_ASSERTION_FAILURE = 10,
    PANIC_PURE_VIRTUAL_CALL = 11
} panic_code_t;

void panic_(int code, const char* where) __attribute__((noreturn));

#define PANIC(code, where) panic_(code, where)
#define SPARK_ASSERT(cond) do { if (!(cond)) { PANIC(PANIC_ASSERTION_FAILURE, __func__); } } while (0)

#ifdef __cplusplus
}
#endif
