#include <utility>
#include "spark_wiring.h"

namespace {

constexpr int MAX_USER_FUNCTIONS = 4;

CloudClass::user_function_t user_functions[MAX_USER_FUNCTIONS];
int user_function_count;

template <int N>
int call_user_function(const char* argument) {
    return user_functions[N] ? user_functions[N](String(argument)) : -1;
}

const cloud_function_t trampolines[MAX_USER_FUNCTIONS] = {
    call_user_function<0>, call_user_function<1>, call_user_function<2>, call_user_function<3>
};

static_assert(sizeof(trampolines) / sizeof(trampolines[0]) == MAX_USER_FUNCTIONS, "one trampoline per slot");

} // namespace

bool CloudClass::function(const char* name, user_function_t fn) {
    if (user_function_count >= MAX_USER_FUNCTIONS || !fn) {
        return false;
    }
    const int slot = user_function_count;
    user_functions[slot] = std::move(fn);
    if (spark_function(name, trampolines[slot]) != 0) {
        user_functions[slot] = nullptr;
        return false;
    }
    user_function_count++;
    return true;
}

bool CloudClass::function(const char* name, int (*fn)(String)) {
    return fn ? function(name, user_function_t(fn)) : false;
}

bool CloudClass::publish(const char* name, const char* data, int ttl, PublishFlag flag) {
    return spark_publish(name, data, ttl, (uint32_t)flag) == 0;
}
