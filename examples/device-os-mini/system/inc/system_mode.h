#pragma once

#ifdef __cplusplus
extern "C" {
#endif

typedef enum System_Mode_TypeDef {
    DEFAULT = 0,
    AUTOMATIC = 1,
    SEMI_AUTOMATIC = 2,
    MANUAL = 3,
    SAFE_MODE = 4
} System_Mode_TypeDef;

System_Mode_TypeDef system_mode(void);
void set_system_mode(System_Mode_TypeDef mode);

#ifdef __cplusplus
}
#endif
