#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int (*cloud_function_t)(const char* argument);

#define PUBLISH_EVENT_FLAG_PUBLIC   0x00
#define PUBLISH_EVENT_FLAG_PRIVATE  0x01
#define PUBLISH_EVENT_FLAG_NO_ACK   0x02

int spark_publish(const char* name, const char* data, int ttl, uint32_t flags);
int spark_function(const char* name, cloud_function_t fn);
int spark_cloud_flag_connected(void);
void spark_cloud_flag_connect(void);
void spark_cloud_flag_disconnect(void);
void spark_process(void);

#ifdef __cplusplus
}
#endif
