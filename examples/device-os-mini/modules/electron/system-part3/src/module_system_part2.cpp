#include "system_part2_loader.inc"
