#define DYNALIB_EXPORT
#include "crypto_dynalib.h"
