#pragma once

#include <functional>
#include <type_traits>
#include "system_cloud.h"
#include "spark_wiring_string.h"

enum PublishFlag {
    PUBLIC = PUBLISH_EVENT_FLAG_PUBLIC,
    PRIVATE = PUBLISH_EVENT_FLAG_PRIVATE,
    NO_ACK = PUBLISH_EVENT_FLAG_NO_ACK
};

class CloudClass {
public:
    using user_function_t = std::function<int(String)>;

    static bool function(const char* name, user_function_t fn);
    static bool function(const char* name, int (*fn)(String));

    template <typename T>
    static bool function(const char* name, int (T::*method)(String), T* instance) {
        using namespace std::placeholders;
        return function(name, user_function_t(std::bind(method, instance, _1)));
    }

    static bool publish(const char* name, const char* data = nullptr, int ttl = 60, PublishFlag flag = PUBLIC);
    static bool publish(const char* name, const String& data, PublishFlag flag = PUBLIC) {
        return publish(name, data.c_str(), 60, flag);
    }

    static bool connected() { return spark_cloud_flag_connected(); }
    static void connect() { spark_cloud_flag_connect(); }
    static void disconnect() { spark_cloud_flag_disconnect(); }
    static void process() { spark_process(); }
};

extern CloudClass Particle;
