#include "user_module.inc"
