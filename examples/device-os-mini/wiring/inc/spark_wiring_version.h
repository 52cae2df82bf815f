#pragma once

#include <stdint.h>

/*
 * PRODUCT_ID(id) / PRODUCT_VERSION(version) in an application put the values
 * into the module suffix (sections placed by the linker script before the
 * suffix); without them both read as 0xFFFF.
 */
#define PRODUCT_ID(x) \
    extern "C" __attribute__((section(".modinfo.product_id"), used)) const uint16_t __system_product_id = (x)
#define PRODUCT_VERSION(x) \
    extern "C" __attribute__((section(".modinfo.product_version"), used)) const uint16_t __system_product_version = (x)
