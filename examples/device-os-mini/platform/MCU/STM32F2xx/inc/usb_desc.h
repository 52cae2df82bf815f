#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct usb_device_ids_t {
    uint16_t vendor_id;
    uint16_t product_id;
    uint16_t bcd_device;
} usb_device_ids_t;

const usb_device_ids_t* usb_device_ids(int dfu_mode);
const char* usb_product_string(int dfu_mode);

#ifdef __cplusplus
}
#endif
