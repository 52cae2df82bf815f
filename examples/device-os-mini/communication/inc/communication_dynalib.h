#pragma once

#include "dynalib.h"

#ifdef DYNALIB_EXPORT
#include "protocol.h"
#endif

DYNALIB_BEGIN(communication)
DYNALIB_FN(0, communication, spark_protocol_init, int(const protocol_callbacks_t*, const uint8_t*, size_t))
DYNALIB_FN(1, communication, spark_protocol_handshake, int(void))
DYNALIB_FN(2, communication, spark_protocol_event_loop, int(void))
DYNALIB_FN(3, communication, spark_protocol_send_event, int(const char*, const char*, int, uint32_t))
DYNALIB_FN(4, communication, spark_protocol_is_connected, int(void))
DYNALIB_FN(5, communication, spark_protocol_add_function, int(const char*, protocol_function_t))
DYNALIB_FN(6, communication, spark_protocol_pending_events, uint32_t(void))
DYNALIB_END(communication)
