/* new/delete use the system part's allocator (rt-dynalib) */
#include "newlib_stubs.inc"
