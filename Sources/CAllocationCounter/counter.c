// An allocation counter by symbol interposition: this file defines malloc, calloc, realloc and
// the aligned allocators; the executable it is linked into exports them, so every library of the
// process (the Swift runtime included) calls these, which count and forward to glibc's own
// implementations (__libc_malloc & co., exported for exactly this purpose). `free` stays glibc's:
// the memory is glibc's either way. No library offers this (glibc removed its malloc hooks in
// 2.34; mallinfo2 has no call counts), hence hand-written.
#define _GNU_SOURCE 1  // RTLD_DEFAULT
#include "CAllocationCounter.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <dlfcn.h>
#endif

#if defined(__GLIBC__)
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static atomic_int counting;
static size_t threshold;
static atomic_uint_fast64_t n_all, b_all, n_large, b_large, largest;

static inline void note(size_t bytes) {
    if (!atomic_load_explicit(&counting, memory_order_relaxed)) return;
    atomic_fetch_add_explicit(&n_all, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&b_all, bytes, memory_order_relaxed);
    if (bytes >= threshold) {
        atomic_fetch_add_explicit(&n_large, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&b_large, bytes, memory_order_relaxed);
    }
    uint_fast64_t seen = atomic_load_explicit(&largest, memory_order_relaxed);
    while (bytes > seen && !atomic_compare_exchange_weak(&largest, &seen, bytes)) {}
}

void *malloc(size_t n) { note(n); return __libc_malloc(n); }
void *calloc(size_t n, size_t s) { note(n * s); return __libc_calloc(n, s); }
void *realloc(void *p, size_t n) { note(n); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { note(n); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { note(n); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    if (a < sizeof(void *) || (a & (a - 1)) != 0) return 22;  // EINVAL
    note(n);
    void *p = __libc_memalign(a, n);
    if (!p && n) return 12;  // ENOMEM
    *out = p;
    return 0;
}

int rcp_allocation_counter_active(void) {
    // The dynamic linker resolves every library's `malloc` to the first definition in the global
    // scope: ours only if the executable exports it.
    return dlsym(RTLD_DEFAULT, "malloc") == (void *)&malloc;
}

void rcp_allocation_counting_begin(size_t large_threshold) {
    atomic_store(&counting, 0);
    threshold = large_threshold;
    atomic_store(&n_all, 0); atomic_store(&b_all, 0);
    atomic_store(&n_large, 0); atomic_store(&b_large, 0); atomic_store(&largest, 0);
    atomic_store(&counting, 1);
}

rcp_allocation_counts rcp_allocation_counting_end(void) {
    atomic_store(&counting, 0);
    rcp_allocation_counts c = { atomic_load(&n_all), atomic_load(&b_all), atomic_load(&n_large),
                                atomic_load(&b_large), atomic_load(&largest) };
    return c;
}
#else
int rcp_allocation_counter_active(void) { return 0; }
void rcp_allocation_counting_begin(size_t large_threshold) { (void)large_threshold; }
rcp_allocation_counts rcp_allocation_counting_end(void) { rcp_allocation_counts c; memset(&c, 0, sizeof c); return c; }
#endif
