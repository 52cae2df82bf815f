#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/* writes to the ITM stimulus port 0 when a debugger has enabled it */
void debug_output(const char* text);
int debug_output_enabled(void);

#ifdef __cplusplus
}
#endif
