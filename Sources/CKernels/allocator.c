// Process-wide allocator tuning for large tensors (glibc). Arrays of a few tens of MB are
// normally served by fresh mmap()s and returned to the kernel on free, so every forward pass
// page-faults its outputs in again (for a 33 MB activation ~8,000 faults, several times the cost
// of the arithmetic of an element-wise layer). Keeping freed memory in the heap avoids that, at the
// price of a resident size that stays at its peak (what PyTorch's caching allocator does too).
#include "CKernels.h"
#include <stdlib.h>  // defines __GLIBC__ on glibc systems
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int rcp_retain_large_allocations(void) {
#if defined(__GLIBC__)
    // Blocks below 1 GiB come from the heap (not one mmap each), and the heap keeps up to 1 GiB
    // of free memory at its top instead of returning it.
    int ok = mallopt(M_MMAP_THRESHOLD, 1 << 30);
    ok &= mallopt(M_TRIM_THRESHOLD, 1 << 30);
    return ok;
#else
    return 0;
#endif
}
