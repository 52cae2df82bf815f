#define DYNALIB_EXPORT
#include "user_dynalib.h"
#include "user_part_export.inc"
