#pragma once

#include "dynalib.h"

#ifdef DYNALIB_EXPORT
#include "system_cloud.h"
#endif

DYNALIB_BEGIN(system_cloud)
DYNALIB_FN(0, system_cloud, spark_publish, int(const char*, const char*, int, uint32_t))
DYNALIB_FN(1, system_cloud, spark_function, int(const char*, cloud_function_t))
DYNALIB_FN(2, system_cloud, spark_cloud_flag_connected, int(void))
DYNALIB_FN(3, system_cloud, spark_cloud_flag_connect, void(void))
DYNALIB_FN(4, system_cloud, spark_cloud_flag_disconnect, void(void))
DYNALIB_FN(5, system_cloud, spark_process, void(void))
DYNALIB_END(system_cloud)
