/* heap for the C library allocator, which this part exports to the others (rt) */
#include <errno.h>
#include <stdint.h>
#include <sys/types.h>
#include "newlib_stubs.inc"

extern "C" {
extern char link_heap_start;
extern char _heap_end;
}

extern "C" void* _sbrk(ptrdiff_t increment) {
    static char* heap_top = &link_heap_start;
    char* previous = heap_top;
    if (heap_top + increment > &_heap_end) {
        errno = ENOMEM;
        return (void*)-1;
    }
    heap_top += increment;
    return previous;
}
