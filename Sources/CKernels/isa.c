// Run-time choice of the kernels' instruction set, and the register-only FMA loop that measures
// the machine's peak single-precision throughput (receptive-bench: every conv figure is also
// reported as a fraction of it).
//
// CKernels is compiled for x86-64-v3 (AVX2 + FMA); the AVX-512 functions carry
// __attribute__((target("avx512f,..."))) and run only when the CPU reports avx512f (and
// avx512vl, avx512dq). RECEPTIVE_KERNELS=avx2 in the environment, or rcp_set_isa(RCP_ISA_AVX2),
// forces the AVX2 path on an AVX-512 CPU (both paths are tested on one machine that way).
#include "CKernels.h"
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

static int cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}

// -1 until first asked; a benign race (every thread computes the same value).
static int current_isa = -1;

static int initial_isa(void) {
    const char *env = getenv("RECEPTIVE_KERNELS");
    if (env && strcmp(env, "avx2") == 0) return RCP_ISA_AVX2;
    return cpu_has_avx512() ? RCP_ISA_AVX512 : RCP_ISA_AVX2;
}

int rcp_isa_supported(int isa) {
    if (isa == RCP_ISA_AVX2) return 1;
    if (isa == RCP_ISA_AVX512) return cpu_has_avx512();
    return 0;
}

int rcp_isa(void) {
    if (current_isa < 0) current_isa = initial_isa();
    return current_isa;
}

int rcp_set_isa(int isa) {
    if (!rcp_isa_supported(isa)) return 0;
    current_isa = isa;
    return 1;
}

const char *rcp_kernels_isa(void) { return rcp_isa() == RCP_ISA_AVX512 ? "avx512" : "avx2"; }

// MARK: - peak FMA loop
//
// RCP_PEAK_CHAINS independent chains acc ← acc·mul + add, each one vector register: with FMA
// latency 4 and at most two FMA pipes, 8 chains keep every pipe busy; 12 leave margin. No memory
// is touched inside the loop. mul and add pass through an empty asm statement so the compiler
// cannot fold the FMA into an add (mul = 1) or precompute the chains.

#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

static long peak_avx2(long iterations, float mul, float add, float *acc) {
    __m256 m = _mm256_set1_ps(mul), a = _mm256_set1_ps(add);
    __asm__("" : "+x"(m), "+x"(a));
#define LOAD2(i) __m256 c##i = _mm256_loadu_ps(acc + 16 * i);
    CHAINS(LOAD2)
    for (long n = 0; n < iterations; ++n) {
#define FMA2(i) c##i = _mm256_fmadd_ps(c##i, m, a);
        CHAINS(FMA2)
    }
#define STORE2(i) _mm256_storeu_ps(acc + 16 * i, c##i);
    CHAINS(STORE2)
    return RCP_PEAK_CHAINS * 8 * 2;
}

__attribute__((target("avx512f")))
static long peak_avx512(long iterations, float mul, float add, float *acc) {
    __m512 m = _mm512_set1_ps(mul), a = _mm512_set1_ps(add);
    __asm__("" : "+v"(m), "+v"(a));
#define LOAD5(i) __m512 c##i = _mm512_loadu_ps(acc + 16 * i);
    CHAINS(LOAD5)
    for (long n = 0; n < iterations; ++n) {
#define FMA5(i) c##i = _mm512_fmadd_ps(c##i, m, a);
        CHAINS(FMA5)
    }
#define STORE5(i) _mm512_storeu_ps(acc + 16 * i, c##i);
    CHAINS(STORE5)
    return RCP_PEAK_CHAINS * 16 * 2;
}

long rcp_fma_peak_loop(int isa, long iterations, float mul, float add, float *acc) {
    if (isa == RCP_ISA_AVX512 && rcp_isa_supported(RCP_ISA_AVX512)) return peak_avx512(iterations, mul, add, acc);
    return peak_avx2(iterations, mul, add, acc);
}
