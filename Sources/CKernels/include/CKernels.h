#ifndef RECEPTIVE_CKERNELS_H
#define RECEPTIVE_CKERNELS_H
#include <stddef.h>
// Hand-written C kernels, compiled with -O3 -march=native. See Sources/CKernels/*.c.
// Returns the instruction-set level the kernels were compiled for (for benchmark reports).
const char *rcp_kernels_isa(void);
#endif
