#include <stddef.h>
#include "system_error.h"

typedef struct error_message_t {
    int code;
    const char* message;
} error_message_t;

static const error_message_t messages[] = {
    { SYSTEM_ERROR_NONE, "No error" },
    { SYSTEM_ERROR_UNKNOWN, "Unknown error" },
    { SYSTEM_ERROR_BUSY, "Resource busy" },
    { SYSTEM_ERROR_NOT_SUPPORTED, "Not supported" },
    { SYSTEM_ERROR_NOT_ALLOWED, "Not allowed" },
    { SYSTEM_ERROR_CANCELLED, "Operation cancelled" },
    { SYSTEM_ERROR_ABORTED, "Operation aborted" },
    { SYSTEM_ERROR_TIMEOUT, "Timeout error" },
    { SYSTEM_ERROR_NOT_FOUND, "Not found" },
    { SYSTEM_ERROR_ALREADY_EXISTS, "Already exists" },
    { SYSTEM_ERROR_TOO_LARGE, "Too large data" },
    { SYSTEM_ERROR_LIMIT_EXCEEDED, "Limit exceeded" },
    { SYSTEM_ERROR_INVALID_STATE, "Invalid state" },
    { SYSTEM_ERROR_IO, "IO error" },
    { SYSTEM_ERROR_NETWORK, "Network error" },
    { SYSTEM_ERROR_PROTOCOL, "Protocol error" },
    { SYSTEM_ERROR_INTERNAL, "Internal error" },
    { SYSTEM_ERROR_NO_MEMORY, "Memory allocation error" },
    { SYSTEM_ERROR_INVALID_ARGUMENT, "Invalid argument" },
    { SYSTEM_ERROR_BAD_DATA, "Invalid data format" },
    { SYSTEM_ERROR_OUT_OF_RANGE, "Out of range" },
};

const char* system_error_message(int error)
{
    for (size_t i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
        if (messages[i].code == error) {
            return messages[i].message;
        }
    }
    return messages[1].message;
}
