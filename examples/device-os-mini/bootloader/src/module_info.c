
#include "module_info.inc"
