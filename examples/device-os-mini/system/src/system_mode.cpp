#include "system_mode.h"
#include "logging.h"

namespace {

System_Mode_TypeDef current_mode = AUTOMATIC;

const char* mode_name(System_Mode_TypeDef mode) {
    switch (mode) {
    case AUTOMATIC:
        return "automatic";
    case SEMI_AUTOMATIC:
        return "semi-automatic";
    case MANUAL:
        return "manual";
    case SAFE_MODE:
        return "safe mode";
    default:
        return "default";
    }
}

} // namespace

extern "C" System_Mode_TypeDef system_mode(void) {
    return current_mode;
}

extern "C" void set_system_mode(System_Mode_TypeDef mode) {
    if (mode == DEFAULT) {
        mode = AUTOMATIC;
    }
    if (current_mode == SAFE_MODE) {
        return;  // safe mode is left only by a reset
    }
    current_mode = mode;
    LOG_FMT(INFO, "system mode: %s", mode_name(mode));
}
