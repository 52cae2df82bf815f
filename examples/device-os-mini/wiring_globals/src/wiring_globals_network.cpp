#include "spark_wiring.h"

#if Wiring_WiFi
WiFiClass WiFi;
#endif

#if Wiring_Cellular
CellularClass Cellular;
#endif
