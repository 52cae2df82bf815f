#pragma once

#include "dynalib.h"

#ifdef DYNALIB_EXPORT
#include "system_network.h"
#endif

DYNALIB_BEGIN(system_net)
DYNALIB_FN(0, system_net, network_connect, void(int))
DYNALIB_FN(1, system_net, network_disconnect, void(int))
DYNALIB_FN(2, system_net, network_ready, int(int))
DYNALIB_FN(3, system_net, network_signal, int(int))
DYNALIB_END(system_net)
