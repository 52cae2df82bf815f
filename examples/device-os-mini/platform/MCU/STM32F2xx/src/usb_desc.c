#include "usb_desc.h"

/* USB ids and product strings; the bootloader reports the same ids in DFU mode */
static const usb_device_ids_t usb_ids[2] = {
    { USBD_VID_SPARK, USBD_PID_CDC, 0x0250 },
    { USBD_VID_SPARK, USBD_PID_DFU, 0x0250 },
};

#if PLATFORM_ID == 6
#define USB_PRODUCT_NAME "Photon"
#elif PLATFORM_ID == 8
#define USB_PRODUCT_NAME "P1"
#elif PLATFORM_ID == 10
#define USB_PRODUCT_NAME "Electron"
#endif

const usb_device_ids_t* usb_device_ids(int dfu_mode)
{
    return &usb_ids[dfu_mode ? 1 : 0];
}

const char* usb_product_string(int dfu_mode)
{
    return dfu_mode ? USB_PRODUCT_NAME " DFU Mode" : USB_PRODUCT_NAME;
}
