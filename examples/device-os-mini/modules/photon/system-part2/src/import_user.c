#define DYNALIB_IMPORT
#include "user_dynalib.h"
