// Direct ("indirect-GEMM") 2-D convolution kernels: forward, backward-data, backward-weights.
//
// Shape letters: N batch, C channels (Ci input, Co output), H/W input rows/cols, OH/OW output
// rows/cols, KH/KW kernel extent, S stride, D dilation, P zero padding, G groups.
// Every function here works on ONE image (or a range of its output rows); the Swift caller
// threads over images/rows and owns all buffers (no allocation in this file).
//
// Idea. A convolution is a GEMM  Y[co, pixel] = Σ_k W[co, k] · X[k, pixel]  with k = (ci, kh, kw),
// whose right operand (the im2col panel) is never materialised: each 8-wide vector of X[k, ·]
// (8 consecutive output pixels of one row) is read straight from a zero-padded copy of the
// image at `pixel base + off[k]`. For stride S > 1 the padded copy stores each row's columns
// split by phase (column mod S), so the S-strided taps of 8 consecutive output pixels are again
// 8 consecutive floats. Micro-kernels hold an MR × (NV·8) tile of outputs in 12 AVX registers:
// MR output channels (weights broadcast) × NV pixel vectors. Backward-data is the same kernel on
// the zero-padded dY with the taps of each output phase (ih, iw mod S) — or, with one input
// channel per group at stride 1, the single-channel tiles (4 dX rows, dilation 1, KH ≤ 11) or,
// otherwise, the same kernel with four dX rows in place of four channels (row-blocked mode).
// Backward-weights is vectorised over output channels instead: 16 channels × 6 taps accumulate
// over the pixels of a row block, reading a transposed dY.
//
// AVX2 + FMA (256-bit) is the baseline this file is compiled for; on CPUs that report AVX-512
// the kernels below marked AVX512_TARGET are used instead (rcp_isa(), isa.c), except for the
// row-blocked backward-data of one-input-channel layers, which stays on the AVX2 tile (the
// single-channel tiles have both). CPUs without AVX2 (and non-x86 CPUs) are not supported.
#include "CKernels.h"
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#if !defined(__AVX2__) || !defined(__FMA__)
#error "conv2d.c needs AVX2 and FMA (compile with -march=native on an x86-64 CPU that has them)"
#endif

static const int rcp_lane_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
/// Mask with the first n (0...8) lanes set.
static inline __m256i lane_mask(int n) { return _mm256_loadu_si256((const __m256i *)(rcp_lane_table + 8 - n)); }

static inline long ceil_div(long a, long b) { return (a + b - 1) / b; }
static inline long round_up8(long a) { return (a + 7) & ~7L; }
static inline long floor_div(long a, long b) { long q = a / b; if ((a % b != 0) && ((a < 0) != (b < 0))) --q; return q; }
static inline long pos_mod(long a, long b) { long r = a % b; return r < 0 ? r + b : r; }

// Software prefetch of the next row block's dY while the current block's backward-weights tiles
// run: the transpose of a block otherwise waits on `channels` streams of cold lines at once (23%
// of the first layer's backward-weights time in a profile). Each tile issues one prefetch per
// pixel step up to its quota (lines / tiles of the block), the rest after its loop. Addresses are
// integers: a prefetch is a hint and never faults.
#ifndef BWW_HINT
#define BWW_HINT _MM_HINT_T0
#endif
typedef struct { uintptr_t base; long channel_bytes, lines, channels, c, l; } dy_prefetch;

static dy_prefetch dy_prefetch_block(const float *dy, long ohw, long channels, long p0, long p1) {
    dy_prefetch f = {(uintptr_t)dy + (uintptr_t)(p0 * 4), ohw * 4, ((p1 - p0) * 4 + 63) / 64 + 1, channels, 0, 0};
    if (p1 <= p0) f.channels = 0;  // no next block
    return f;
}

static inline __attribute__((always_inline)) void dy_prefetch_one(dy_prefetch *f) {
    if (f->c >= f->channels) return;
    _mm_prefetch((const char *)(f->base + (uintptr_t)(f->c * f->channel_bytes + f->l * 64)), BWW_HINT);
    if (++f->l == f->lines) { f->l = 0; ++f->c; }
}

// MARK: - AVX-512 micro-kernels (run-time selected, see isa.c)
//
// Vectorised over channels instead of pixels: a tile holds NP consecutive output pixels × MV·16
// output channels in NP·MV zmm registers (up to 12 × 32 = 24 of the 32 registers). For each tap
// k the MV weight vectors w[k][c0 ..< c0 + 16·MV] are loaded once and the NP input values
// in[p + off[k]] (consecutive floats: the phase-split layouts make consecutive output pixels
// consecutive inputs at every stride) are broadcast. The tile's efficiency does not depend on the
// row width (56 = 4·12 + 8 and 28 = 2·12 + 4 waste nothing) or on the input channels (the first
// layer has K = 81 taps, one input channel). The result is transposed into the NCHW output
// through a small stack buffer. Weight panels are [K][cw] per block of cw ≤ 32 channels, channel
// counts padded to 16 with zero weights.
#define AVX512_TARGET __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw")))
#define CV_MAX_NP 12

static inline long round_up16(long a) { return (a + 15) & ~15L; }

// In-register transpose of a 16 × 16 block (r[i] lane j ↔ r[j] lane i).
AVX512_TARGET static inline __attribute__((always_inline)) void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 8; ++i) { t[2*i] = _mm512_unpacklo_ps(r[2*i], r[2*i+1]); t[2*i+1] = _mm512_unpackhi_ps(r[2*i], r[2*i+1]); }
    for (int i = 0; i < 4; ++i) {
        r[4*i]   = _mm512_shuffle_ps(t[4*i],   t[4*i+2], 0x44);
        r[4*i+1] = _mm512_shuffle_ps(t[4*i],   t[4*i+2], 0xEE);
        r[4*i+2] = _mm512_shuffle_ps(t[4*i+1], t[4*i+3], 0x44);
        r[4*i+3] = _mm512_shuffle_ps(t[4*i+1], t[4*i+3], 0xEE);
    }
    for (int i = 0; i < 4; ++i) {
        t[i]    = _mm512_shuffle_f32x4(r[i],   r[i+4],  0x88);
        t[i+4]  = _mm512_shuffle_f32x4(r[i],   r[i+4],  0xDD);
        t[i+8]  = _mm512_shuffle_f32x4(r[i+8], r[i+12], 0x88);
        t[i+12] = _mm512_shuffle_f32x4(r[i+8], r[i+12], 0xDD);
    }
    for (int i = 0; i < 4; ++i) {
        r[i]    = _mm512_shuffle_f32x4(t[i],   t[i+8],  0x88);
        r[i+4]  = _mm512_shuffle_f32x4(t[i+4], t[i+12], 0x88);
        r[i+8]  = _mm512_shuffle_f32x4(t[i],   t[i+8],  0xDD);
        r[i+12] = _mm512_shuffle_f32x4(t[i+4], t[i+12], 0xDD);
    }
}
// NP, MV compile-time constants after inlining into the instantiations below.
AVX512_TARGET static inline __attribute__((always_inline))
void cv_tile_impl(const int NP, const int MV, long K, const long *restrict off, const float *restrict w,
                  const float *in, float *out, long ocs, int nch, const float *bias) {
    __m512 acc[CV_MAX_NP][2];
    for (int v = 0; v < MV; ++v) {
        const int valid = nch - 16 * v;
        const __mmask16 mk = valid >= 16 ? (__mmask16)0xFFFF : valid <= 0 ? (__mmask16)0 : (__mmask16)((1u << valid) - 1);
        const __m512 b0 = bias ? _mm512_maskz_loadu_ps(mk, bias + 16 * v) : _mm512_setzero_ps();
        for (int p = 0; p < NP; ++p) acc[p][v] = b0;
    }
    const long cw = 16 * MV;
    for (long k = 0; k < K; ++k) {
        const float *x = in + off[k];
        __m512 wv[2];
        for (int v = 0; v < MV; ++v) wv[v] = _mm512_loadu_ps(w + 16 * v);
        w += cw;
        for (int p = 0; p < NP; ++p) {
            const __m512 b = _mm512_set1_ps(x[p]);
            for (int v = 0; v < MV; ++v) acc[p][v] = _mm512_fmadd_ps(wv[v], b, acc[p][v]);
        }
    }
    // Transpose each 16-channel half (pixels padded to 16 with zeros) and store NP lanes per channel.
    const __mmask16 lanes = (__mmask16)((1u << NP) - 1);
    for (int v = 0; v < MV; ++v) {
        const int nv = nch - 16 * v;
        if (nv <= 0) break;
        __m512 r[16];
        for (int p = 0; p < 16; ++p) r[p] = p < NP ? acc[p][v] : _mm512_setzero_ps();
        transpose16(r);
        for (int m = 0; m < 16; ++m)
            if (m < nv) _mm512_mask_storeu_ps(out + (16 * v + m) * ocs, lanes, r[m]);
    }
}

typedef void (*cv_tile_fn)(long K, const long *off, const float *w, const float *in, float *out, long ocs,
                           int nch, const float *bias);

#define CV_TILE(NP, MV)                                                                             \
    AVX512_TARGET static void cv_tile_##NP##_##MV(long K, const long *off, const float *w,        \
                                                  const float *in, float *out, long ocs, int nch, \
                                                  const float *bias) {                            \
        cv_tile_impl(NP, MV, K, off, w, in, out, ocs, nch, bias);                                 \
    }
#define CV_TILES(NP) CV_TILE(NP, 1) CV_TILE(NP, 2)
CV_TILES(1) CV_TILES(2) CV_TILES(3) CV_TILES(4) CV_TILES(5) CV_TILES(6)
CV_TILES(7) CV_TILES(8) CV_TILES(9) CV_TILES(10) CV_TILES(11) CV_TILES(12)
static const cv_tile_fn cv_tiles[CV_MAX_NP + 1][2] = {
    {0, 0}, {cv_tile_1_1, cv_tile_1_2}, {cv_tile_2_1, cv_tile_2_2}, {cv_tile_3_1, cv_tile_3_2},
    {cv_tile_4_1, cv_tile_4_2}, {cv_tile_5_1, cv_tile_5_2}, {cv_tile_6_1, cv_tile_6_2},
    {cv_tile_7_1, cv_tile_7_2}, {cv_tile_8_1, cv_tile_8_2}, {cv_tile_9_1, cv_tile_9_2},
    {cv_tile_10_1, cv_tile_10_2}, {cv_tile_11_1, cv_tile_11_2}, {cv_tile_12_1, cv_tile_12_2}};

// One run of `count` consecutive output pixels (input at in + p, output at out + p) for all
// channel blocks: channels [0, nch_total) of a panel set starting at wp ([K][cw] per block of
// 32, block b at wp + 32·b·K), output channel stride ocs.
static void cv_run(long count, long K, const long *off, const float *wp, const float *in, float *out,
                   long ocs, long nch_total, const float *bias) {
    const long cp = round_up16(nch_total);
    for (long p0 = 0; p0 < count; p0 += CV_MAX_NP) {
        const int np = (int)(count - p0 < CV_MAX_NP ? count - p0 : CV_MAX_NP);
        for (long c0 = 0; c0 < cp; c0 += 32) {
            const int mv = cp - c0 >= 32 ? 2 : 1;
            const int nch = (int)(nch_total - c0 < 16 * mv ? nch_total - c0 : 16 * mv);
            cv_tiles[np][mv - 1](K, off, wp + c0 * K, in + p0, out + c0 * ocs + p0, ocs, nch, bias ? bias + c0 : 0);
        }
    }
}

// Panels for channel blocks of ≤ 32 (padded to 16): dst[c0·K + k·cw + m] = src(c0 + m, k), 0 past nch.
static void pack_channel_panels(float *dst, long nch, long K, const float *src, long channel_stride, long tap_stride) {
    const long cp = round_up16(nch);
    for (long c0 = 0; c0 < cp; c0 += 32) {
        const long cw = cp - c0 >= 32 ? 32 : 16;
        float *d = dst + c0 * K;
        for (long k = 0; k < K; ++k)
            for (long m = 0; m < cw; ++m)
                d[k * cw + m] = c0 + m < nch ? src[(c0 + m) * channel_stride + k * tap_stride] : 0.0f;
    }
}

// MARK: - dY transposed for backward-weights
//
// The tiles read dYᵀ [pixel][channel] of one row block; dY is [channel][pixel]. It is transposed
// in 8-channel × 8-pixel units. With the bias gradient asked for, each unit also adds its eight
// 8-pixel row vectors to BIAS_LANES per-channel partial sums: rcp_sum_rows's four 8-lane
// accumulators, vector (p/8) mod 4 of channel c at lanes c·32 + 8·((p/8) mod 4), the very
// additions rcp_sum_rows makes and in its order (pixels ascending per channel), so the bias
// gradient is the same to the bit (see rcp_conv_backward_weights_rows).
#define BIAS_LANES 32

// The 8×8 block r[channel][pixel] stored transposed: d[pixel·cp + channel].
static inline __attribute__((always_inline)) void transpose8_store(const __m256 *r, float *d, long cp) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    float *d4 = d + 4 * cp;
    __asm__("" : "+r"(d), "+r"(d4));
    _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(d + cp, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(d + 2 * cp, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(d + 3 * cp, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(d4, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(d4 + cp, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(d4 + 2 * cp, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(d4 + 3 * cp, _mm256_permute2f128_ps(u3, u7, 0x31));
}

// Unit (c0, p) of the block that starts at pixel p0: dyt[(p − p0 + i)·cp + c0 + k] = dy[(c0 + k)·ohw + p + i].
static inline __attribute__((always_inline)) void transpose_unit(const float *dy, long ohw, long c0, long p, long p0, long cp,
                                                                float *dyt, float *lanes, long lanes_end) {
    // Two row pointers and three strides (the compiler otherwise kept 8 row pointers per unit).
    const long s1 = ohw, s2 = 2 * ohw, s3 = 3 * ohw;
    const float *q = dy + c0 * ohw + p, *q4 = q + 4 * ohw;
    __asm__("" : "+r"(q), "+r"(q4));
    __m256 r[8];
    r[0] = _mm256_loadu_ps(q); r[1] = _mm256_loadu_ps(q + s1); r[2] = _mm256_loadu_ps(q + s2); r[3] = _mm256_loadu_ps(q + s3);
    r[4] = _mm256_loadu_ps(q4); r[5] = _mm256_loadu_ps(q4 + s1); r[6] = _mm256_loadu_ps(q4 + s2); r[7] = _mm256_loadu_ps(q4 + s3);
    if (lanes && p < lanes_end) {
        float *l = lanes + c0 * BIAS_LANES + 8 * ((p >> 3) & 3);
        for (int k = 0; k < 8; ++k)
            _mm256_storeu_ps(l + k * BIAS_LANES, _mm256_add_ps(_mm256_loadu_ps(l + k * BIAS_LANES), r[k]));
    }
    transpose8_store(r, dyt + (p - p0) * cp + c0, cp);
}

// What the units leave of a block [p0, p1): the pixels after the last whole 8-pixel vector of the
// first cog8 channels, and the channels from cog8 on (zero for cog ≤ c < cp).
static void transpose_rest(const float *dy, long ohw, long cog, long cp, long p0, long p1, float *dyt) {
    const long cog8 = cog / 8 * 8, pv = p0 + (p1 - p0) / 8 * 8;
    for (long p = pv; p < p1; ++p)
        for (long c = 0; c < cog8; ++c) dyt[(p - p0) * cp + c] = dy[c * ohw + p];
    for (long p = p0; p < p1; ++p)
        for (long c = cog8; c < cp; ++c) dyt[(p - p0) * cp + c] = c < cog ? dy[c * ohw + p] : 0.0f;
}

// The next row block's transpose, a unit at a time from inside the current block's tiles
// (software pipelining): its loads and shuffles then run beside the tiles' FMAs instead of
// between them (the one-input-channel layer spends ≈ 5% of its backward-weights transposing).
typedef struct {
    const float *dy; long ohw, cp, p0, p1;
    long c_end, c0, p;  // units left: channels [c0, c_end), from pixel p of channel group c0
    float *dyt, *lanes; long lanes_end;
} dy_transposer;

static inline __attribute__((always_inline)) void transposer_step(dy_transposer *t) {
    if (t->c0 >= t->c_end) return;
    transpose_unit(t->dy, t->ohw, t->c0, t->p, t->p0, t->cp, t->dyt, t->lanes, t->lanes_end);
    t->p += 8;
    if (t->p + 8 > t->p1) { t->p = t->p0; t->c0 += 8; }
}

// Every unit of block [p0, p1) of channels c < 8·⌊cog/8⌋ in order (channel groups, then pixels).
static dy_transposer dy_transposer_block(const float *dy, long ohw, long cog, long cp, long p0, long p1, float *dyt,
                                         float *lanes, long lanes_end) {
    dy_transposer t = {dy, ohw, cp, p0, p1, p1 - p0 >= 8 ? cog / 8 * 8 : 0, 0, p0, dyt, lanes, lanes_end};
    return t;
}

// acc ← x·y + acc with x broadcast from memory inside the FMA (an embedded {1to16} operand). The
// run tiles use it: a separate vbroadcastss per tap, with the pipelined transpose beside it, ran
// 4–5% slower on Zen 4 (same result: one fused multiply-add either way).
#define BWW512_FMA_BCST(ACC, Y, X) __asm__("vfmadd231ps %[m]%{1to16%}, %[y], %[a]" : [a] "+v"(ACC) : [y] "v"(Y), [m] "m"(X))

// Backward-weights: acc[j][v] = Σ_pixels X[tap j][pixel] · dYᵀ[pixel][co0 + 16v ...], NT taps.
// tp (tq steps; may be NULL when tq = 0): the next block's transpose, one unit every 16 pixels.
#define BWW512_TILE_AS(NAME, NV, NT, RUN)                                                         \
    AVX512_TARGET static void NAME(long r0, long r1, long ow, long xstep,      \
                                                      const float *x, const long *offk,           \
                                                      const float *dyt, long cp, float *dwt,      \
                                                      int nt, dy_prefetch *pf, long quota,        \
                                                      dy_transposer *tp, long tq) {               \
        __m512 acc[NT][NV];                                                                       \
        for (int j = 0; j < NT; ++j)                                                              \
            for (int v = 0; v < NV; ++v) acc[j][v] = _mm512_setzero_ps();                         \
        for (long oh = r0; oh < r1; ++oh) {                                                       \
            const float *px[NT];                                                                  \
            for (int j = 0; j < NT; ++j) px[j] = x + oh * xstep + (RUN ? offk[0] + j : offk[j]);  \
            const float *py = dyt + (oh - r0) * ow * cp;                                          \
            for (long w = 0; w < ow; ++w) {                                                       \
                if (quota > 0) { dy_prefetch_one(pf); --quota; }                                  \
                if (tq > 0 && (w & 15) == 0) { transposer_step(tp); --tq; }                       \
                __m512 y[NV];                                                                     \
                for (int v = 0; v < NV; ++v) y[v] = _mm512_loadu_ps(py + 16 * v);                 \
                py += cp;                                                                         \
                if (RUN) {                                                                        \
                    for (int j = 0; j < NT; ++j)                                                  \
                        for (int v = 0; v < NV; ++v) BWW512_FMA_BCST(acc[j][v], y[v], px[j][w]);   \
                } else {                                                                          \
                    for (int j = 0; j < NT; ++j) {                                                \
                        const __m512 b = _mm512_set1_ps(px[j][w]);                                \
                        for (int v = 0; v < NV; ++v) acc[j][v] = _mm512_fmadd_ps(b, y[v], acc[j][v]); \
                    }                                                                             \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
        for (; quota > 0; --quota) dy_prefetch_one(pf);                                           \
        for (; tq > 0; --tq) transposer_step(tp);                                                 \
        for (int j = 0; j < NT; ++j) {                                                            \
            if (j >= nt) break;                                                                   \
            for (int v = 0; v < NV; ++v) {                                                        \
                float *d = dwt + j * cp + 16 * v;                                                 \
                _mm512_storeu_ps(d, _mm512_add_ps(_mm512_loadu_ps(d), acc[j][v]));                \
            }                                                                                     \
        }                                                                                         \
    }
#define BWW512_TILE(NV, NT) BWW512_TILE_AS(bww512_tile_##NV##x##NT, NV, NT, 0) \
                            BWW512_TILE_AS(bww512_run_##NV##x##NT, NV, NT, 1)
// Every tap count 1…12, so the last tap tile of a layer wastes nothing (81 = 6·12 + 9).
#define BWW512_TILES(NT) BWW512_TILE(2, NT) BWW512_TILE(1, NT)
BWW512_TILES(1) BWW512_TILES(2) BWW512_TILES(3) BWW512_TILES(4) BWW512_TILES(5) BWW512_TILES(6)
BWW512_TILES(7) BWW512_TILES(8) BWW512_TILES(9) BWW512_TILES(10) BWW512_TILES(11) BWW512_TILES(12)
typedef void (*bww512_fn)(long r0, long r1, long ow, long xstep, const float *x, const long *offk,
                          const float *dyt, long cp, float *dwt, int nt, dy_prefetch *pf, long quota,
                          dy_transposer *tp, long tq);
// Run tiles: the NT taps are consecutive inputs (off[k0 + j] = off[k0] + j, the taps of one kernel
// row at stride 1 and dilation 1), read from one pointer with constant displacements. The general
// tile keeps 12 tap pointers, more than the free general registers: 5 of them were reloaded from
// the stack in every pixel step.
static const bww512_fn bww512_runs[2][13] = {
    {0, bww512_run_1x1, bww512_run_1x2, bww512_run_1x3, bww512_run_1x4, bww512_run_1x5, bww512_run_1x6,
     bww512_run_1x7, bww512_run_1x8, bww512_run_1x9, bww512_run_1x10, bww512_run_1x11, bww512_run_1x12},
    {0, bww512_run_2x1, bww512_run_2x2, bww512_run_2x3, bww512_run_2x4, bww512_run_2x5, bww512_run_2x6,
     bww512_run_2x7, bww512_run_2x8, bww512_run_2x9, bww512_run_2x10, bww512_run_2x11, bww512_run_2x12}};
static const bww512_fn bww512_tiles[2][13] = {
    {0, bww512_tile_1x1, bww512_tile_1x2, bww512_tile_1x3, bww512_tile_1x4, bww512_tile_1x5, bww512_tile_1x6,
     bww512_tile_1x7, bww512_tile_1x8, bww512_tile_1x9, bww512_tile_1x10, bww512_tile_1x11, bww512_tile_1x12},
    {0, bww512_tile_2x1, bww512_tile_2x2, bww512_tile_2x3, bww512_tile_2x4, bww512_tile_2x5, bww512_tile_2x6,
     bww512_tile_2x7, bww512_tile_2x8, bww512_tile_2x9, bww512_tile_2x10, bww512_tile_2x11, bww512_tile_2x12}};

// MARK: - layout of the padded input (forward, backward-weights)

// Phase segment length L: holds ceil((W + 2P) / S) columns and the overrun of the last, partly
// used 8-wide vector of every tap, so no read leaves its segment.
static long input_segment(const rcp_conv_geometry *g) {
    long s = g->stride;
    long a = ceil_div(g->w + 2 * g->pad, s);
    long b = round_up8(g->ow) + ((g->kw - 1) * g->dilation) / s;
    return a > b ? a : b;
}
static long input_row_stride(const rcp_conv_geometry *g) { return g->stride * input_segment(g); }
static long input_channel_stride(const rcp_conv_geometry *g) { return (g->h + 2 * g->pad) * input_row_stride(g); }

size_t rcp_conv_input_scratch_floats(const rcp_conv_geometry *g) {
    return (size_t)(g->cin * input_channel_stride(g) + 8);
}

void rcp_conv_pack_input(const rcp_conv_geometry *g, const float *x, float *xp, int zero_fill) {
    const long s = g->stride, P = g->pad, L = input_segment(g), R = s * L, CS = input_channel_stride(g);
    const long H = g->h, W = g->w;
    // Only the interior is written: borders and overrun stay as the last zero fill left them.
    if (zero_fill) memset(xp, 0, sizeof(float) * rcp_conv_input_scratch_floats(g));
    for (long c = 0; c < g->cin; ++c) {
        for (long r = 0; r < H; ++r) {
            const float *src = x + (c * H + r) * W;
            float *row = xp + c * CS + (r + P) * R;
            if (s == 1) {
                memcpy(row + P, src, sizeof(float) * (size_t)W);
            } else if (s == 2) {
                // Even columns go to phase P mod 2 from index ⌊P/2⌋, odd ones to phase (P+1) mod 2
                // from index ⌊(P+1)/2⌋.
                float *ev = row + (P % 2) * L + P / 2, *od = row + ((P + 1) % 2) * L + (P + 1) / 2;
                long col = 0;
                for (; col + 16 <= W; col += 16) {
                    const __m256 a = _mm256_loadu_ps(src + col), b = _mm256_loadu_ps(src + col + 8);
                    _mm256_storeu_ps(ev + col / 2, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8)));
                    _mm256_storeu_ps(od + col / 2, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8)));
                }
                for (; col < W; ++col) { if (col % 2 == 0) ev[col / 2] = src[col]; else od[col / 2] = src[col]; }
            } else {
                // Padded column pc = col + P goes to phase pc mod S, index pc / S.
                for (long ph = 0; ph < s; ++ph) {
                    long col = pos_mod(ph - P, s);
                    float *dst = row + ph * L + (col + P) / s;
                    for (; col < W; col += s) *dst++ = src[col];
                }
            }
        }
    }
}

long rcp_conv_forward_offset_count(const rcp_conv_geometry *g) { return (g->cin / g->groups) * g->kh * g->kw; }

void rcp_conv_forward_offsets(const rcp_conv_geometry *g, long *off) {
    const long s = g->stride, d = g->dilation, L = input_segment(g), R = s * L, CS = input_channel_stride(g);
    const long cig = g->cin / g->groups;
    long k = 0;
    for (long c = 0; c < cig; ++c)
        for (long i = 0; i < g->kh; ++i)
            for (long j = 0; j < g->kw; ++j) {
                long cj = j * d;
                off[k++] = c * CS + i * d * R + (cj % s) * L + cj / s;
            }
}

// Weight panels: for group gi and a tile of mr ≤ 4 output channels starting at channel c0 (of
// the group), the panel is [K][mr] at offset (gi·Cog + c0)·K, K = Cig·KH·KW.
static void pack_panels(const float *w, float *wp, long groups, long cog, long K) {
    for (long gi = 0; gi < groups; ++gi)
        for (long c0 = 0; c0 < cog; c0 += 4) {
            long mr = cog - c0 < 4 ? cog - c0 : 4;
            float *dst = wp + (gi * cog + c0) * K;
            const float *src = w + (gi * cog + c0) * K;
            for (long k = 0; k < K; ++k)
                for (long m = 0; m < mr; ++m) dst[k * mr + m] = src[m * K + k];
        }
}

// AVX-512 forward tiles when each tile has enough taps to hide its transposed store (about 150
// cycles against 24 FMA cycles per tap): K ≥ 128. With fewer (the first layer, 1 input channel
// × 9 × 9 = 81 taps) the AVX2 pixel-vector tiles were faster (90–95% vs 78–84% of the FMA peak,
// one thread, three runs).
static int fwd512(const rcp_conv_geometry *g) { return rcp_isa() == RCP_ISA_AVX512 && rcp_conv_forward_offset_count(g) >= 128; }

size_t rcp_conv_forward_weight_floats(const rcp_conv_geometry *g) {
    const long K = rcp_conv_forward_offset_count(g);
    if (fwd512(g)) return (size_t)(g->groups * round_up16(g->cout / g->groups) * K);
    return (size_t)(g->cout * K);
}

void rcp_conv_pack_forward_weights(const rcp_conv_geometry *g, const float *w, float *wp) {
    const long K = rcp_conv_forward_offset_count(g), cog = g->cout / g->groups;
    if (fwd512(g)) {
        for (long gi = 0; gi < g->groups; ++gi)
            pack_channel_panels(wp + gi * round_up16(cog) * K, cog, K, w + gi * cog * K, K, 1);
        return;
    }
    pack_panels(w, wp, g->groups, cog, K);
}

// MARK: - micro-kernels: Y tile (MR channels × NV vectors of 8 pixels) = Σ_k w[k][m] · in[v][off[k]]

typedef void (*tile_fn)(long K, const long *off, const float *w, const float *const *in,
                        float *const *out, long ocs, const int *lanes, const float *bias);

#define STORE_TILE(MR, NV)                                                                        \
    for (int v = 0; v < NV; ++v) {                                                                \
        const int n = lanes[v];                                                                   \
        if (n == 8) {                                                                             \
            for (int m = 0; m < MR; ++m) _mm256_storeu_ps(out[v] + m * ocs, acc[m][v]);           \
        } else if (n > 0) {                                                                       \
            const __m256i mk = lane_mask(n);                                                      \
            for (int m = 0; m < MR; ++m) _mm256_maskstore_ps(out[v] + m * ocs, mk, acc[m][v]);    \
        }                                                                                         \
    }

#define INIT_TILE(MR, NV)                                                                         \
    __m256 acc[MR][NV];                                                                           \
    for (int m = 0; m < MR; ++m) {                                                                \
        const __m256 b0 = bias ? _mm256_set1_ps(bias[m]) : _mm256_setzero_ps();                   \
        for (int v = 0; v < NV; ++v) acc[m][v] = b0;                                              \
    }                                                                                             \
    const float *p[NV];                                                                           \
    for (int v = 0; v < NV; ++v) p[v] = in[v];

// Vectors first: load NV input vectors, then one broadcast weight at a time (MR·NV + NV + 1 regs).
#define FWD_TILE_A(MR, NV)                                                                        \
    static void fwd_tile_##MR##x##NV(long K, const long *restrict off, const float *restrict w,   \
                                     const float *const *in, float *const *out, long ocs,         \
                                     const int *lanes, const float *bias) {                       \
        INIT_TILE(MR, NV)                                                                         \
        for (long k = 0; k < K; ++k) {                                                            \
            const long o = off[k];                                                                \
            __m256 a[NV];                                                                         \
            for (int v = 0; v < NV; ++v) a[v] = _mm256_loadu_ps(p[v] + o);                       \
            for (int m = 0; m < MR; ++m) {                                                        \
                const __m256 b = _mm256_broadcast_ss(w + m);                                      \
                for (int v = 0; v < NV; ++v) acc[m][v] = _mm256_fmadd_ps(b, a[v], acc[m][v]);    \
            }                                                                                     \
            w += MR;                                                                              \
        }                                                                                         \
        STORE_TILE(MR, NV)                                                                        \
    }

// Weights first: MR broadcasts, then one input vector at a time (MR·NV + MR + 1 regs).
#define FWD_TILE_W(MR, NV)                                                                        \
    static void fwd_tile_##MR##x##NV(long K, const long *restrict off, const float *restrict w,   \
                                     const float *const *in, float *const *out, long ocs,         \
                                     const int *lanes, const float *bias) {                       \
        INIT_TILE(MR, NV)                                                                         \
        for (long k = 0; k < K; ++k) {                                                            \
            const long o = off[k];                                                                \
            __m256 b[MR];                                                                         \
            for (int m = 0; m < MR; ++m) b[m] = _mm256_broadcast_ss(w + m);                       \
            for (int v = 0; v < NV; ++v) {                                                        \
                const __m256 a = _mm256_loadu_ps(p[v] + o);                                       \
                for (int m = 0; m < MR; ++m) acc[m][v] = _mm256_fmadd_ps(b[m], a, acc[m][v]);     \
            }                                                                                     \
            w += MR;                                                                              \
        }                                                                                         \
        STORE_TILE(MR, NV)                                                                        \
    }

FWD_TILE_A(4, 3)

// The 4×3 tile storing only rows m < rows[v] of vector v (row-blocked backward-data, where the
// four "channels" are four output rows and the last block may be short).
static void fwd_tile_4x3_rows(long K, const long *restrict off, const float *restrict w,
                              const float *const *in, float *const *out, long ocs, const int *lanes,
                              const int *rows) {
    const float *bias = 0;
    INIT_TILE(4, 3)
    for (long k = 0; k < K; ++k) {
        const long o = off[k];
        __m256 a[3];
        for (int v = 0; v < 3; ++v) a[v] = _mm256_loadu_ps(p[v] + o);
        for (int m = 0; m < 4; ++m) {
            const __m256 b = _mm256_broadcast_ss(w + m);
            for (int v = 0; v < 3; ++v) acc[m][v] = _mm256_fmadd_ps(b, a[v], acc[m][v]);
        }
        w += 4;
    }
    for (int v = 0; v < 3; ++v) {
        const int n = lanes[v];
        if (n <= 0) continue;
        const __m256i mk = lane_mask(n);
        for (int m = 0; m < rows[v]; ++m) _mm256_maskstore_ps(out[v] + m * ocs, mk, acc[m][v]);
    }
}
FWD_TILE_W(3, 4)
FWD_TILE_W(2, 6)
FWD_TILE_W(1, 12)

// A group of 12 pixel vectors is covered by 12 / NV calls of the MR-channel kernel.
static const tile_fn tile_for_mr[5] = {0, fwd_tile_1x12, fwd_tile_2x6, fwd_tile_3x4, fwd_tile_4x3};
static const int nv_for_mr[5] = {0, 12, 6, 4, 3};
#define GROUP_VECTORS 12

// Runs all channel tiles of one group of ≤ 12 vectors. Missing vectors repeat vector 0 with 0 lanes.
static void run_vector_group(int nvec, const float **in, float **out, int *lanes,
                             long cout_group, long K, const long *off, const float *wp_group,
                             long ocs, const float *bias_group) {
    for (int v = nvec; v < GROUP_VECTORS; ++v) { in[v] = in[0]; out[v] = out[0]; lanes[v] = 0; }
    float *outc[GROUP_VECTORS];
    for (long c0 = 0; c0 < cout_group; c0 += 4) {
        const long mr = cout_group - c0 < 4 ? cout_group - c0 : 4;
        const int nv = nv_for_mr[mr];
        const float *w = wp_group + c0 * K;
        for (int v = 0; v < GROUP_VECTORS; ++v) outc[v] = out[v] + c0 * ocs;
        for (int v0 = 0; v0 < nvec; v0 += nv)
            tile_for_mr[mr](K, off, w, in + v0, outc + v0, ocs, lanes + v0, bias_group ? bias_group + c0 : 0);
    }
}

// MARK: - forward

void rcp_conv_forward_rows(const rcp_conv_geometry *g, const float *xp, const float *wp, const long *off,
                           const float *bias, float *y, long row0, long row1) {
    const long s = g->stride, R = input_row_stride(g), CS = input_channel_stride(g);
    const long OW = g->ow, OHW = g->oh * g->ow;
    const long cig = g->cin / g->groups, cog = g->cout / g->groups, K = rcp_conv_forward_offset_count(g);
    const float *in[GROUP_VECTORS];
    float *out[GROUP_VECTORS];
    int lanes[GROUP_VECTORS];
    if (fwd512(g)) {
        for (long gi = 0; gi < g->groups; ++gi)
            for (long oh = row0; oh < row1; ++oh)
                cv_run(OW, K, off, wp + gi * round_up16(cog) * K, xp + gi * cig * CS + oh * s * R,
                       y + gi * cog * OHW + oh * OW, OHW, cog, bias ? bias + gi * cog : 0);
        return;
    }
    for (long gi = 0; gi < g->groups; ++gi) {
        const float *xg = xp + gi * cig * CS;
        float *yg = y + gi * cog * OHW;
        const float *wpg = wp + gi * cog * K;
        const float *bg = bias ? bias + gi * cog : 0;
        int nvec = 0;
        for (long oh = row0; oh < row1; ++oh) {
            for (long ow0 = 0; ow0 < OW; ow0 += 8) {
                in[nvec] = xg + oh * s * R + ow0;
                out[nvec] = yg + oh * OW + ow0;
                lanes[nvec] = (int)(OW - ow0 < 8 ? OW - ow0 : 8);
                if (++nvec == GROUP_VECTORS) {
                    run_vector_group(nvec, in, out, lanes, cog, K, off, wpg, OHW, bg);
                    nvec = 0;
                }
            }
        }
        if (nvec > 0) run_vector_group(nvec, in, out, lanes, cog, K, off, wpg, OHW, bg);
    }
}

// MARK: - backward-weights: dW[co][k] += Σ_pixels dY[co][pixel] · X[k][pixel]
//
// Vectorised over output channels: dY of the rows at hand is transposed to dYᵀ [pixel][Cpad]
// (Cpad = Co/G rounded up to 8, zero-filled), and a tile of NV·8 channels × NT taps accumulates
// Σ_pixel dYᵀ[pixel][co] · X[k][pixel] over a block of rows in registers, with X broadcast from
// the padded input. The result is added to dWᵀ [G][K][Cpad]; rcp_conv_backward_weights_finish
// transposes it into dW.

// Cpad: 8-channel vectors (AVX2) or 16-channel vectors (AVX-512).
static long cpad_of(const rcp_conv_geometry *g) {
    return rcp_isa() == RCP_ISA_AVX512 ? round_up16(g->cout / g->groups) : round_up8(g->cout / g->groups);
}

#define BWW_BLOCK_PIXELS 128  // dYᵀ of one 16-channel tile over a block: 128 · 64 B = 8 KB (L1)

static long bww_block_rows(const rcp_conv_geometry *g) { return g->ow >= BWW_BLOCK_PIXELS ? 1 : BWW_BLOCK_PIXELS / g->ow; }

// Two dYᵀ blocks (run mode alternates between them), + 16: room to start dYᵀ on a 64-byte boundary
// (rows of 16 or 32 channels are then whole cache lines; from a 16-byte-aligned Swift buffer the
// tiles ran 3–4% slower), then the bias sums (BIAS_LANES per channel of a group).
size_t rcp_conv_backward_weights_scratch_floats(const rcp_conv_geometry *g) {
    return (size_t)(2 * bww_block_rows(g) * g->ow * cpad_of(g) + 16 + BIAS_LANES * (g->cout / g->groups));
}

size_t rcp_conv_backward_weights_accumulator_floats(const rcp_conv_geometry *g) {
    return (size_t)(g->groups * rcp_conv_forward_offset_count(g) * cpad_of(g));
}

void rcp_conv_backward_weights_finish(const rcp_conv_geometry *g, const float *dwt, float *dw) {
    const long K = rcp_conv_forward_offset_count(g), cog = g->cout / g->groups, cp = cpad_of(g);
    for (long gi = 0; gi < g->groups; ++gi)
        for (long c = 0; c < cog; ++c)
            for (long k = 0; k < K; ++k) dw[(gi * cog + c) * K + k] += dwt[(gi * K + k) * cp + c];
}

// dyt[(pixel − p0)·cp + c] = dy[c·ohw + pixel] for pixels [p0, p1), c < cog; zero for cog ≤ c < cp;
// lanes (may be NULL): the bias sums of the units (see transpose_unit).
__attribute__((noinline)) static void transpose_dy(const float *dy, long ohw, long cog, long cp, long p0, long p1, float *dyt,
                                                   float *lanes, long lanes_end) {
    dy_transposer t = dy_transposer_block(dy, ohw, cog, cp, p0, p1, dyt, lanes, lanes_end);
    while (t.c0 < t.c_end) transposer_step(&t);
    transpose_rest(dy, ohw, cog, cp, p0, p1, dyt);
}

typedef void (*wtile_fn)(long r0, long r1, long ow, long xstep, const float *x, const long *offk,
                         const float *dyt, long cp, float *dwt, int nt);

// acc[j][v] = Σ_pixels X[tap j][pixel] · dYᵀ[pixel][co0 + 8v ... +8]; dwt[j·cp + 8v ...] += acc[j][v] (j < nt).
#define BWW_TILE(NV, NT)                                                                          \
    static void bww_tile_##NV##x##NT(long r0, long r1, long ow, long xstep, const float *x,       \
                                     const long *offk, const float *dyt, long cp, float *dwt,     \
                                     int nt) {                                                    \
        __m256 acc[NT][NV];                                                                       \
        for (int j = 0; j < NT; ++j)                                                              \
            for (int v = 0; v < NV; ++v) acc[j][v] = _mm256_setzero_ps();                         \
        for (long oh = r0; oh < r1; ++oh) {                                                       \
            const float *px[NT];                                                                  \
            for (int j = 0; j < NT; ++j) px[j] = x + oh * xstep + offk[j];                        \
            const float *py = dyt + (oh - r0) * ow * cp;                                          \
            for (long w = 0; w < ow; ++w) {                                                       \
                __m256 y[NV];                                                                     \
                for (int v = 0; v < NV; ++v) y[v] = _mm256_loadu_ps(py + 8 * v);                  \
                py += cp;                                                                         \
                for (int j = 0; j < NT; ++j) {                                                    \
                    const __m256 b = _mm256_broadcast_ss(px[j] + w);                              \
                    for (int v = 0; v < NV; ++v) acc[j][v] = _mm256_fmadd_ps(b, y[v], acc[j][v]); \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
        for (int j = 0; j < NT; ++j) {                                                            \
            if (j >= nt) break;                                                                   \
            for (int v = 0; v < NV; ++v) {                                                        \
                float *d = dwt + j * cp + 8 * v;                                                  \
                _mm256_storeu_ps(d, _mm256_add_ps(_mm256_loadu_ps(d), acc[j][v]));                \
            }                                                                                     \
        }                                                                                         \
    }

BWW_TILE(2, 1) BWW_TILE(2, 2) BWW_TILE(2, 3) BWW_TILE(2, 4) BWW_TILE(2, 5) BWW_TILE(2, 6)
BWW_TILE(1, 1) BWW_TILE(1, 2) BWW_TILE(1, 3) BWW_TILE(1, 4) BWW_TILE(1, 5) BWW_TILE(1, 6)
BWW_TILE(1, 7) BWW_TILE(1, 8) BWW_TILE(1, 9) BWW_TILE(1, 10) BWW_TILE(1, 11) BWW_TILE(1, 12)
// By vector count and tap count (the last tap tile of a layer gets the tile of exactly its taps).
static const wtile_fn bww_tiles[2][13] = {
    {0, bww_tile_1x1, bww_tile_1x2, bww_tile_1x3, bww_tile_1x4, bww_tile_1x5, bww_tile_1x6,
     bww_tile_1x7, bww_tile_1x8, bww_tile_1x9, bww_tile_1x10, bww_tile_1x11, bww_tile_1x12},
    {0, bww_tile_2x1, bww_tile_2x2, bww_tile_2x3, bww_tile_2x4, bww_tile_2x5, bww_tile_2x6, 0, 0, 0, 0, 0, 0}};

void rcp_conv_backward_weights_rows(const rcp_conv_geometry *g, const float *xp, const long *off,
                                    const float *dy, float *dyt, float *dwt, long row0, long row1,
                                    const float *next_dy, float *dbias) {
    dyt = (float *)(((uintptr_t)dyt + 63) & ~(uintptr_t)63);
    const long s = g->stride, R = input_row_stride(g), CS = input_channel_stride(g);
    const long OW = g->ow, OHW = g->oh * g->ow;
    const long cig = g->cin / g->groups, cog = g->cout / g->groups, K = rcp_conv_forward_offset_count(g);
    const long cp = cpad_of(g);
    const long rb = bww_block_rows(g);
    // The bias gradient while dY is transposed (no second pass over dY), when this call covers
    // the whole image and every block starts on an 8-pixel vector of rcp_sum_rows: then each
    // channel's sum is formed by rcp_sum_rows's additions in its order (bit for bit the same).
    const int fused = dbias && row0 == 0 && row1 == g->oh && (rb * OW) % 8 == 0;
    const long cog8 = cog / 8 * 8, lanes_end = OHW / 32 * 32, block = rb * OW * cp;
    float *lanes = fused ? dyt + 2 * block : NULL;
    const int avx512 = rcp_isa() == RCP_ISA_AVX512;
    const long vw = avx512 ? 16 : 8;  // channels per vector
    // Run mode (AVX-512, one input channel per group, stride 1, dilation 1, KW ≤ 12): one tile per
    // kernel row, KW consecutive taps; and the next block's dYᵀ is formed during this block's tiles
    // (two dYᵀ buffers, blocks alternating between them).
    const int runs = avx512 && cig == 1 && s == 1 && g->dilation == 1 && g->kw <= 12;
    long tiles = 0;  // tile calls per block (prefetch and transpose slices)
    for (long c0 = 0; c0 < cp; ) {
        const int nv = cp - c0 >= 2 * vw ? 2 : 1, nt = avx512 || nv == 1 ? 12 : 6;
        tiles += runs ? g->kh : (K + nt - 1) / nt;
        c0 += vw * nv;
    }
    for (long gi = 0; gi < g->groups; ++gi) {
        const float *xg = xp + gi * cig * CS, *dyg = dy + gi * cog * OHW;
        float *dwg = dwt + gi * K * cp;
        if (lanes) memset(lanes, 0, sizeof(float) * (size_t)(cog8 * BIAS_LANES));
        if (runs) transpose_dy(dyg, OHW, cog, cp, row0 * OW, (row0 + rb < row1 ? row0 + rb : row1) * OW, dyt, lanes, lanes_end);
        for (long r0 = row0, b = 0; r0 < row1; r0 += rb, ++b) {
            const long r1 = r0 + rb < row1 ? r0 + rb : row1, r2 = r1 + rb < row1 ? r1 + rb : row1;
            // dYᵀ of this block only (stays in L1 for all its tiles); in run mode made during the
            // previous block's tiles (or above, for the first).
            float *dyb = runs ? dyt + (b & 1) * block : dyt, *dyn = dyt + ((b + 1) & 1) * block;
            if (!runs) transpose_dy(dyg, OHW, cog, cp, r0 * OW, r1 * OW, dyb, lanes, lanes_end);
            dy_transposer next = dy_transposer_block(dyg, OHW, runs ? cog : 0, cp, r1 * OW, r2 * OW, dyn, lanes, lanes_end);
            const long units = (next.c_end / 8) * ((r2 - r1) * OW / 8);
            const long tq = (units + tiles - 1) / tiles;  // transpose units per tile
            // Prefetched: the next block of this call's rows; after the last, the first of the next
            // image's (next_dy, when given).
            const long n1 = row0 + rb < row1 ? row0 + rb : row1;
            dy_prefetch pf = r1 < row1 || !next_dy ? dy_prefetch_block(dyg, OHW, cog, r1 * OW, r2 * OW)
                                                   : dy_prefetch_block(next_dy + gi * cog * OHW, OHW, cog, row0 * OW, n1 * OW);
            const long quota = (pf.lines * pf.channels + tiles - 1) / tiles;  // prefetches per tile
            for (long c0 = 0; c0 < cp && runs; ) {
                const int nv = cp - c0 >= 2 * vw ? 2 : 1;
                for (long k0 = 0; k0 < K; k0 += g->kw)
                    bww512_runs[nv - 1][g->kw](r0, r1, OW, s * R, xg, off + k0, dyb + c0, cp, dwg + k0 * cp + c0, (int)g->kw,
                                               &pf, quota, &next, tq);
                c0 += vw * nv;
            }
            if (runs && r1 < row1) {  // what the tiles left of the next block
                while (next.c0 < next.c_end) transposer_step(&next);
                transpose_rest(dyg, OHW, cog, cp, r1 * OW, r2 * OW, dyn);
            }
            for (long c0 = 0; c0 < cp && !runs; ) {
                const int nv = cp - c0 >= 2 * vw ? 2 : 1, nt = avx512 || nv == 1 ? 12 : 6;
                for (long k0 = 0; k0 < K; k0 += nt) {
                    const int valid = (int)(K - k0 < nt ? K - k0 : nt);
                    if (avx512) bww512_tiles[nv - 1][valid](r0, r1, OW, s * R, xg, off + k0, dyb + c0, cp, dwg + k0 * cp + c0, valid,
                                                            &pf, quota, NULL, 0);
                    else {
                        // AVX2 (6 taps × 16 channels, 12 FMAs per pixel step): the prefetches go between
                        // the tiles, a per-step test in the tile cost more than it saved.
                        for (long q = 0; q < quota; ++q) dy_prefetch_one(&pf);
                        bww_tiles[nv - 1][valid](r0, r1, OW, s * R, xg, off + k0, dyb + c0, cp, dwg + k0 * cp + c0, valid);
                    }
                }
                c0 += vw * nv;
            }
        }
        if (lanes) {
            for (long c = 0; c < cog8; ++c) {  // rcp_sum_rows's ending: lanes in order, then the tail
                double sum = 0;
                for (int i = 0; i < BIAS_LANES; ++i) sum += lanes[c * BIAS_LANES + i];
                for (long j = lanes_end; j < OHW; ++j) sum += dyg[c * OHW + j];
                dbias[gi * cog + c] += (float)sum;
            }
            rcp_sum_rows(dyg + cog8 * OHW, cog - cog8, OHW, dbias + gi * cog + cog8);
        } else if (dbias) {
            rcp_sum_rows(dyg, cog, OHW, dbias + gi * cog);
        }
    }
}

// MARK: - backward-data
//
// dX[ci, ih, iw] = Σ_{co, kh, kw} W[co, ci, kh, kw] · dY[co, oh, ow]  over  oh·S = ih + P − kh·D,
// ow·S = iw + P − kw·D. With a = ih + P = ph + S·i (ph = a mod S), tap kh contributes iff
// (ph − kh·D) ≡ 0 (mod S), and then oh = i + (ph − kh·D)/S: for a fixed phase (ph, pw) this is a
// stride-1 correlation of dY with that phase's taps. dY is zero-padded by PT rows / PL columns
// on the leading side (and enough on the trailing side) so all those reads are in bounds.

typedef struct { long pt, pl, rows, cols, lj; } dy_layout;

static void phase_columns(const rcp_conv_geometry *g, long pw, long *jlo, long *count) {
    const long s = g->stride, P = g->pad;
    long lo = P - pw <= 0 ? 0 : ceil_div(P - pw, s);
    long hi = floor_div(g->w - 1 + P - pw, s);
    *jlo = lo;
    *count = hi >= lo ? hi - lo + 1 : 0;
}

static dy_layout dy_layout_for(const rcp_conv_geometry *g) {
    const long s = g->stride, d = g->dilation, P = g->pad;
    dy_layout L;
    L.pt = ceil_div((g->kh - 1) * d, s);
    L.pl = ceil_div((g->kw - 1) * d, s);
    long maxRow = (g->h - 1 + P) / s + 1;
    // + 3 zero rows: a short last row block (row-blocked mode) still reads 4 rows' worth of taps,
    // and unused rows must read zeros (garbage times a zero weight could be NaN).
    L.rows = L.pt + (maxRow > g->oh ? maxRow : g->oh) + 3;
    long maxCol = g->ow, lj = 8;
    for (long pw = 0; pw < s; ++pw) {
        long jlo, cnt;
        phase_columns(g, pw, &jlo, &cnt);
        if (jlo + round_up8(cnt) > maxCol) maxCol = jlo + round_up8(cnt);
        if (jlo + round_up8(cnt) > lj) lj = jlo + round_up8(cnt);
    }
    // Row-blocked / single-channel mode: the column tiles read up to the 16-column boundary.
    if (g->stride == 1 && g->cin == g->groups && maxCol < g->pad + round_up16(g->w)) maxCol = g->pad + round_up16(g->w);
    L.cols = L.pl + maxCol;
    L.lj = lj;
    return L;
}

size_t rcp_conv_output_gradient_scratch_floats(const rcp_conv_geometry *g) {
    dy_layout L = dy_layout_for(g);
    return (size_t)(g->cout * L.rows * L.cols + 8);
}

size_t rcp_conv_backward_data_row_scratch_floats(const rcp_conv_geometry *g) {
    if (g->stride == 1) return 0;
    dy_layout L = dy_layout_for(g);
    return (size_t)(g->cin * g->h * g->stride * L.lj);
}

void rcp_conv_pack_output_gradient(const rcp_conv_geometry *g, const float *dy, float *dyp, int zero_fill) {
    dy_layout L = dy_layout_for(g);
    if (zero_fill) memset(dyp, 0, sizeof(float) * rcp_conv_output_gradient_scratch_floats(g));
    for (long c = 0; c < g->cout; ++c)
        for (long r = 0; r < g->oh; ++r)
            memcpy(dyp + (c * L.rows + r + L.pt) * L.cols + L.pl, dy + (c * g->oh + r) * g->ow,
                   sizeof(float) * (size_t)g->ow);
}

// Row-blocked mode: stride 1 and one input channel per group (first layers, depthwise). With a
// single dX channel the MR = 1 tile would be load-bound; instead 4 consecutive dX rows play the
// role of the tile's 4 channels. Tap k = (co, u, kw) reads dY row (row of dX row 0) + u,
// u ∈ [−(KH−1)·D, 3], and feeds dX row r with weight W[co][0][(r − u)/D][kw] when that kernel row
// exists (else 0): U = (KH−1)·D + 4 row offsets instead of KH, i.e. KH/U of the FMAs are useful.
static int rowblock_mode(const rcp_conv_geometry *g) { return g->stride == 1 && g->cin == g->groups; }
static long rowblock_offsets(const rcp_conv_geometry *g) {
    return (g->cout / g->groups) * ((g->kh - 1) * g->dilation + 4) * g->kw;
}

// Single-channel mode: the row-blocked case at dilation 1 with KH ≤ BWD1_MAX_KH, computed by the
// bwd1 tiles below (every FMA useful) instead of the row-blocked 4×3 tile.
#define BWD1_MAX_KH 11
static int single_mode(const rcp_conv_geometry *g) { return rowblock_mode(g) && g->dilation == 1 && g->kh <= BWD1_MAX_KH; }

long rcp_conv_backward_data_offset_count(const rcp_conv_geometry *g) {
    if (single_mode(g)) return 1;
    return rowblock_mode(g) ? rowblock_offsets(g) : (g->cout / g->groups) * g->kh * g->kw;
}

// AVX-512 backward-data (not row-blocked): per phase, panels [K_q][cw] over input channels.
static int bwd512(const rcp_conv_geometry *g) { return rcp_isa() == RCP_ISA_AVX512 && !rowblock_mode(g); }

size_t rcp_conv_backward_data_weight_floats(const rcp_conv_geometry *g) {
    if (single_mode(g)) return (size_t)(g->cout * g->kh * g->kw);
    if (bwd512(g)) return (size_t)(g->groups * round_up16(g->cin / g->groups) * (g->cout / g->groups) * g->kh * g->kw);
    return rowblock_mode(g) ? (size_t)(g->groups * rowblock_offsets(g) * 4)
                            : (size_t)(g->cout * (g->cin / g->groups) * g->kh * g->kw);
}

// Per phase q = ph·S + pw: taps (co, kh, kw) with offsets into the padded dY (relative to the
// pixel base), and weight panels [K_q][mr] for tiles of ≤ 4 input channels per group.
// phase_start[q] is the first tap of phase q in `off` (phase_start[S²] = total).
void rcp_conv_backward_data_plan(const rcp_conv_geometry *g, const float *w, float *wp, long *off,
                                 long *phase_start) {
    const long s = g->stride, d = g->dilation, KH = g->kh, KW = g->kw;
    const long cig = g->cin / g->groups, cog = g->cout / g->groups, KK = KH * KW;
    dy_layout L = dy_layout_for(g);
    const long CSy = L.rows * L.cols;
    if (single_mode(g)) {
        // Panels [G][Cog][KW][KH]: the KH weights of one (co, kw) are consecutive.
        for (long c = 0; c < g->cout; ++c)
            for (long j = 0; j < KW; ++j)
                for (long i = 0; i < KH; ++i) wp[(c * KW + j) * KH + i] = w[c * KK + i * KW + j];
        off[0] = 0;
        phase_start[0] = 0;
        phase_start[1] = 1;
        return;
    }
    if (rowblock_mode(g)) {
        const long U = (KH - 1) * d + 4, Kr = rowblock_offsets(g);
        long k = 0;
        for (long co = 0; co < cog; ++co)
            for (long ui = 0; ui < U; ++ui)
                for (long j = 0; j < KW; ++j) {
                    const long u = ui - (KH - 1) * d;
                    off[k] = co * CSy + u * L.cols - j * d;
                    for (long gi = 0; gi < g->groups; ++gi)
                        for (long r = 0; r < 4; ++r) {
                            const long t = r - u;  // = kh·D
                            const int ok = t >= 0 && t % d == 0 && t / d < KH;
                            wp[(gi * Kr + k) * 4 + r] = ok ? w[((gi * cog + co) * cig) * KK + (t / d) * KW + j] : 0.0f;
                        }
                    ++k;
                }
        phase_start[0] = 0;
        phase_start[1] = Kr;
        return;
    }
    long k = 0;
    for (long ph = 0; ph < s; ++ph)
        for (long pw = 0; pw < s; ++pw) {
            const long q = ph * s + pw, k0 = k;
            phase_start[q] = k0;
            for (long co = 0; co < cog; ++co)
                for (long i = 0; i < KH; ++i) {
                    if (pos_mod(ph - i * d, s) != 0) continue;
                    for (long j = 0; j < KW; ++j) {
                        if (pos_mod(pw - j * d, s) != 0) continue;
                        off[k++] = co * CSy + ((ph - i * d) / s) * L.cols + (pw - j * d) / s;
                    }
                }
            const long Kq = k - k0;
            if (bwd512(g)) {
                // Panels for group gi at k0·G·Cig16 + gi·Kq·Cig16: block c0 at + c0·Kq, [Kq][cw].
                const long cp = round_up16(cig);
                for (long gi = 0; gi < g->groups; ++gi)
                    for (long c0 = 0; c0 < cp; c0 += 32) {
                        const long cw = cp - c0 >= 32 ? 32 : 16;
                        float *dst = wp + k0 * g->groups * cp + gi * Kq * cp + c0 * Kq;
                        long t = 0;
                        for (long co = 0; co < cog; ++co)
                            for (long i = 0; i < KH; ++i) {
                                if (pos_mod(ph - i * d, s) != 0) continue;
                                for (long j = 0; j < KW; ++j) {
                                    if (pos_mod(pw - j * d, s) != 0) continue;
                                    for (long m = 0; m < cw; ++m)
                                        dst[t * cw + m] = c0 + m < cig ? w[((gi * cog + co) * cig + c0 + m) * KK + i * KW + j] : 0.0f;
                                    ++t;
                                }
                            }
                    }
                continue;
            }
            // Panel for group gi, input-channel tile c0 (mr channels): at gi·Cig·Ktot + c0·Kq + Cig·k0... laid out
            // phase-major so each phase's panels are contiguous: base = k0·Cin + gi·Cig·Kq + c0·Kq.
            for (long gi = 0; gi < g->groups; ++gi)
                for (long c0 = 0; c0 < cig; c0 += 4) {
                    const long mr = cig - c0 < 4 ? cig - c0 : 4;
                    float *dst = wp + k0 * g->cin + gi * cig * Kq + c0 * Kq;
                    long t = 0;
                    for (long co = 0; co < cog; ++co)
                        for (long i = 0; i < KH; ++i) {
                            if (pos_mod(ph - i * d, s) != 0) continue;
                            for (long j = 0; j < KW; ++j) {
                                if (pos_mod(pw - j * d, s) != 0) continue;
                                for (long m = 0; m < mr; ++m)
                                    dst[t * mr + m] = w[((gi * cog + co) * cig + c0 + m) * KK + i * KW + j];
                                ++t;
                            }
                        }
                }
        }
    phase_start[s * s] = k;
}

// MARK: - backward-data, single-channel mode (one input channel per group, stride 1, dilation 1)
//
// A tile holds BWD1_R dX rows × NV vectors of consecutive columns and sums over (co, kw) and the
// U = KH + BWD1_R − 1 padded dY rows the block reads: dY row u (row ih0 + P + u of the padded
// copy, shifted left by kw columns) feeds dX row r through kernel row kh = r + KH − 1 − u when
// 0 ≤ kh < KH. With KH a compile-time constant the unrolled (u, r) loops hold only those pairs, so
// every FMA is useful (the row-blocked tile does (KH + 3)·4 row pairs for KH·4 useful ones), each
// loaded dY vector serves up to BWD1_R rows, and each broadcast weight NV vectors.
// wp: [Cog][KW][KH] of one group; dy: padded dY at (row ih0 + P, column iw0 + P + PL) of channel
// 0; nrows ≤ BWD1_R rows and the last vector's lanes (mask) are stored.
#define BWD1_R 4
#ifndef BWD1_HINT
#define BWD1_HINT _MM_HINT_T0
#endif
#define BWD1_UNROLL _Pragma("clang loop unroll(full)")

AVX512_TARGET static inline __attribute__((always_inline))
void bwd1_512_impl(const int KH, const int NV, long cog, long KW, const float *restrict wp, const float *dy,
                   long csy, long cols, float *dx, long W, int nrows, __mmask16 last, uintptr_t pf, long pf_per_co) {
    __m512 acc[BWD1_R][4];
    BWD1_UNROLL for (int r = 0; r < BWD1_R; ++r)
        BWD1_UNROLL for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
    for (long co = 0; co < cog; ++co) {
        for (long l = 0; l < pf_per_co; ++l) _mm_prefetch((const char *)(pf + (uintptr_t)((co * pf_per_co + l) * 64)), BWD1_HINT);
        const float *wk = wp + co * KW * KH;
        for (long kw = 0; kw < KW; ++kw, wk += KH) {
            const float *src = dy + co * csy - kw;
            BWD1_UNROLL for (int u = 0; u < KH + BWD1_R - 1; ++u) {
                __m512 in[4];
                BWD1_UNROLL for (int v = 0; v < NV; ++v) in[v] = _mm512_loadu_ps(src + u * cols + 16 * v);
                BWD1_UNROLL for (int r = 0; r < BWD1_R; ++r) {
                    const int kh = r + KH - 1 - u;
                    if (kh < 0 || kh >= KH) continue;
                    const __m512 b = _mm512_set1_ps(wk[kh]);
                    BWD1_UNROLL for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(b, in[v], acc[r][v]);
                }
            }
        }
    }
    BWD1_UNROLL for (int r = 0; r < BWD1_R; ++r) {
        if (r >= nrows) break;
        BWD1_UNROLL for (int v = 0; v < NV; ++v) {
            if (v == NV - 1) _mm512_mask_storeu_ps(dx + r * W + 16 * v, last, acc[r][v]);
            else _mm512_storeu_ps(dx + r * W + 16 * v, acc[r][v]);
        }
    }
}

// The same with 8-wide AVX2 vectors, NV ≤ 2: 8 accumulators and 2 inputs leave room for the
// broadcast weights in 16 ymm registers (BWD1_R × 3 vectors spilled accumulators: 60–63 against
// 84–87 GFLOP/s for 4 × 2 and 3 × 3, one thread, first layer, B = 64).
static inline __attribute__((always_inline))
void bwd1_256_impl(const int KH, const int NV, long cog, long KW, const float *restrict wp, const float *dy,
                   long csy, long cols, float *dx, long W, int nrows, int lanes, uintptr_t pf, long pf_per_co) {
    __m256 acc[BWD1_R][2];
    BWD1_UNROLL for (int r = 0; r < BWD1_R; ++r)
        BWD1_UNROLL for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_setzero_ps();
    for (long co = 0; co < cog; ++co) {
        for (long l = 0; l < pf_per_co; ++l) _mm_prefetch((const char *)(pf + (uintptr_t)((co * pf_per_co + l) * 64)), BWD1_HINT);
        const float *wk = wp + co * KW * KH;
        for (long kw = 0; kw < KW; ++kw, wk += KH) {
            const float *src = dy + co * csy - kw;
            BWD1_UNROLL for (int u = 0; u < KH + BWD1_R - 1; ++u) {
                __m256 in[2];
                BWD1_UNROLL for (int v = 0; v < NV; ++v) in[v] = _mm256_loadu_ps(src + u * cols + 8 * v);
                BWD1_UNROLL for (int r = 0; r < BWD1_R; ++r) {
                    const int kh = r + KH - 1 - u;
                    if (kh < 0 || kh >= KH) continue;
                    const __m256 b = _mm256_broadcast_ss(wk + kh);
                    BWD1_UNROLL for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(b, in[v], acc[r][v]);
                }
            }
        }
    }
    const __m256i mk = lane_mask(lanes);
    BWD1_UNROLL for (int r = 0; r < BWD1_R; ++r) {
        if (r >= nrows) break;
        BWD1_UNROLL for (int v = 0; v < NV; ++v) {
            if (v == NV - 1) _mm256_maskstore_ps(dx + r * W + 8 * v, mk, acc[r][v]);
            else _mm256_storeu_ps(dx + r * W + 8 * v, acc[r][v]);
        }
    }
}

typedef void (*bwd1_512_fn)(long cog, long KW, const float *wp, const float *dy, long csy, long cols,
                            float *dx, long W, int nrows, __mmask16 last, uintptr_t pf, long pf_per_co);
typedef void (*bwd1_256_fn)(long cog, long KW, const float *wp, const float *dy, long csy, long cols,
                            float *dx, long W, int nrows, int lanes, uintptr_t pf, long pf_per_co);
#define BWD1_512(KH, NV)                                                                           \
    AVX512_TARGET static void bwd1_512_##KH##_##NV(long cog, long KW, const float *wp, const float *dy, \
                                                   long csy, long cols, float *dx, long W, int nrows, \
                                                   __mmask16 last, uintptr_t pf, long pf_per_co) {  \
        bwd1_512_impl(KH, NV, cog, KW, wp, dy, csy, cols, dx, W, nrows, last, pf, pf_per_co);      \
    }
#define BWD1_256(KH, NV)                                                                           \
    static void bwd1_256_##KH##_##NV(long cog, long KW, const float *wp, const float *dy, long csy,  \
                                     long cols, float *dx, long W, int nrows, int lanes,           \
                                     uintptr_t pf, long pf_per_co) {                               \
        bwd1_256_impl(KH, NV, cog, KW, wp, dy, csy, cols, dx, W, nrows, lanes, pf, pf_per_co);     \
    }
#define BWD1_KH(KH) BWD1_512(KH, 1) BWD1_512(KH, 2) BWD1_512(KH, 3) BWD1_512(KH, 4) BWD1_256(KH, 1) BWD1_256(KH, 2)
BWD1_KH(1) BWD1_KH(2) BWD1_KH(3) BWD1_KH(4) BWD1_KH(5) BWD1_KH(6) BWD1_KH(7) BWD1_KH(8) BWD1_KH(9)
BWD1_KH(10) BWD1_KH(11)
#define BWD1_ROW512(KH) {bwd1_512_##KH##_1, bwd1_512_##KH##_2, bwd1_512_##KH##_3, bwd1_512_##KH##_4}
#define BWD1_ROW256(KH) {bwd1_256_##KH##_1, bwd1_256_##KH##_2}
static const bwd1_512_fn bwd1_512_tiles[BWD1_MAX_KH + 1][4] = {
    {0, 0, 0, 0}, BWD1_ROW512(1), BWD1_ROW512(2), BWD1_ROW512(3), BWD1_ROW512(4), BWD1_ROW512(5),
    BWD1_ROW512(6), BWD1_ROW512(7), BWD1_ROW512(8), BWD1_ROW512(9), BWD1_ROW512(10), BWD1_ROW512(11)};
static const bwd1_256_fn bwd1_256_tiles[BWD1_MAX_KH + 1][2] = {
    {0, 0}, BWD1_ROW256(1), BWD1_ROW256(2), BWD1_ROW256(3), BWD1_ROW256(4), BWD1_ROW256(5),
    BWD1_ROW256(6), BWD1_ROW256(7), BWD1_ROW256(8), BWD1_ROW256(9), BWD1_ROW256(10), BWD1_ROW256(11)};

// dX rows [row0, row1) in blocks of BWD1_R rows × column chunks of 64 (AVX-512) or 16 (AVX2) columns.
// next_dy (may be NULL): the unpadded dY of the image to come; its share for rows [row0, row1) is
// prefetched while these rows are computed, a few lines per output channel of each tile, so its
// pack does not wait on memory (the pack was 21% of the first layer's time without it).
static void bwd1_rows(const rcp_conv_geometry *g, const float *dyp, const float *wp, float *dx, long row0, long row1,
                      const float *next_dy) {
    const long P = g->pad, W = g->w, HW = g->h * g->w, KH = g->kh, KW = g->kw, cog = g->cout / g->groups;
    dy_layout L = dy_layout_for(g);
    const long CSy = L.rows * L.cols;
    const int avx512 = rcp_isa() == RCP_ISA_AVX512;
    const long vw = avx512 ? 16 : 8, chunk = avx512 ? 64 : 16;
    const long chunks = (W + chunk - 1) / chunk, blocks = (row1 - row0 + BWD1_R - 1) / BWD1_R;
    const long tiles = g->groups * blocks * chunks;
    // Lines of next_dy for these rows: its bytes in proportion row0/H … row1/H (integer addresses: a
    // prefetch is a hint and never faults).
    const long dy_bytes = g->cout * g->oh * g->ow * 4;
    const long pf0 = next_dy ? dy_bytes * row0 / g->h / 64 : 0, pf1 = next_dy ? (dy_bytes * row1 / g->h + 63) / 64 : 0;
    const long per_co = ((pf1 - pf0) + tiles * cog - 1) / (tiles * cog);
    uintptr_t pf = (uintptr_t)next_dy + (uintptr_t)(pf0 * 64);
    for (long gi = 0; gi < g->groups; ++gi) {
        const float *dyg = dyp + gi * cog * CSy;
        const float *wpg = wp + gi * cog * KW * KH;
        for (long ih0 = row0; ih0 < row1; ih0 += BWD1_R) {
            const int nr = (int)(row1 - ih0 < BWD1_R ? row1 - ih0 : BWD1_R);
            for (long iw0 = 0; iw0 < W; iw0 += chunk) {
                const long n = W - iw0 < chunk ? W - iw0 : chunk;  // columns of this chunk
                const int nv = (int)((n + vw - 1) / vw), lanes = (int)(n - (nv - 1) * vw);
                const float *in = dyg + (ih0 + P) * L.cols + (iw0 + P + L.pl);
                float *out = dx + gi * HW + ih0 * W + iw0;
                if (avx512) bwd1_512_tiles[KH][nv - 1](cog, KW, wpg, in, CSy, L.cols, out, W, nr, (__mmask16)((1u << lanes) - 1), pf, per_co);
                else bwd1_256_tiles[KH][nv - 1](cog, KW, wpg, in, CSy, L.cols, out, W, nr, lanes, pf, per_co);
                pf += (uintptr_t)(per_co * cog * 64);
            }
        }
    }
}

// Rows [row0, row1) of dX. For S = 1 the kernels write dX directly; for S > 1 each column phase
// pw of row ih goes to scratch [Ci][ih − row0][pw][Lj] at index j (dX column pw + S·j − P), and
// the phases are interleaved into dX at the end. Vector groups span rows of the same phase, so
// short rows do not leave micro-kernel tiles half empty.
void rcp_conv_backward_data_rows(const rcp_conv_geometry *g, const float *dyp, const float *wp,
                                 const long *off, const long *phase_start, float *row_scratch,
                                 float *dx, long row0, long row1, const float *next_dy) {
    const long s = g->stride, P = g->pad, W = g->w, HW = g->h * g->w;
    const long cig = g->cin / g->groups, cog = g->cout / g->groups;
    dy_layout L = dy_layout_for(g);
    const long CSy = L.rows * L.cols;
    const long rows = row1 - row0, CSs = rows * s * L.lj;  // scratch channel stride
    const float *in[GROUP_VECTORS];
    float *out[GROUP_VECTORS];
    int lanes[GROUP_VECTORS];
    if (single_mode(g)) {
        bwd1_rows(g, dyp, wp, dx, row0, row1, next_dy);
        return;
    }
    if (rowblock_mode(g)) {
        const long Kr = phase_start[1];
        int nrow[3];
        for (long gi = 0; gi < g->groups; ++gi) {
            const float *dyg = dyp + gi * cog * CSy;
            const float *wpg = wp + gi * Kr * 4;
            int nvec = 0;
            for (long ih0 = row0; ih0 < row1; ih0 += 4) {
                const int nr = (int)(row1 - ih0 < 4 ? row1 - ih0 : 4);
                for (long j0 = 0; j0 < W; j0 += 8) {
                    in[nvec] = dyg + (ih0 + P + L.pt) * L.cols + (P + j0 + L.pl);
                    out[nvec] = dx + gi * HW + ih0 * W + j0;
                    lanes[nvec] = (int)(W - j0 < 8 ? W - j0 : 8);
                    nrow[nvec] = nr;
                    if (++nvec == 3) {
                        fwd_tile_4x3_rows(Kr, off, wpg, in, out, W, lanes, nrow);
                        nvec = 0;
                    }
                }
            }
            if (nvec > 0) {
                for (int v = nvec; v < 3; ++v) { in[v] = in[0]; out[v] = out[0]; lanes[v] = 0; nrow[v] = 0; }
                fwd_tile_4x3_rows(Kr, off, wpg, in, out, W, lanes, nrow);
            }
        }
        return;
    }
    for (long ph = 0; ph < s; ++ph) {
        for (long pw = 0; pw < s; ++pw) {
            long jlo, cnt;
            phase_columns(g, pw, &jlo, &cnt);
            if (cnt == 0) continue;
            const long q = ph * s + pw, k0 = phase_start[q], Kq = phase_start[q + 1] - k0;
            if (bwd512(g)) {
                const long cp = round_up16(cig), ocs = s == 1 ? HW : CSs;
                for (long gi = 0; gi < g->groups; ++gi)
                    for (long ih = row0 + pos_mod(ph - (row0 + P), s); ih < row1; ih += s) {
                        const long i = (ih + P) / s;
                        float *outRow = s == 1 ? dx + gi * cig * HW + ih * W + (jlo - P)
                                               : row_scratch + gi * cig * CSs + ((ih - row0) * s + pw) * L.lj + jlo;
                        cv_run(cnt, Kq, off + k0, wp + k0 * g->groups * cp + gi * Kq * cp,
                               dyp + gi * cog * CSy + (i + L.pt) * L.cols + (jlo + L.pl), outRow, ocs, cig, 0);
                    }
                continue;
            }
            for (long gi = 0; gi < g->groups; ++gi) {
                const float *dyg = dyp + gi * cog * CSy;
                const float *wpg = wp + k0 * g->cin + gi * cig * Kq;
                const long ocs = s == 1 ? HW : CSs;
                int nvec = 0;
                // First row ≥ row0 with (ih + P) mod S = ph.
                for (long ih = row0 + pos_mod(ph - (row0 + P), s); ih < row1; ih += s) {
                    const long i = (ih + P) / s;
                    float *outRow = s == 1 ? dx + gi * cig * HW + ih * W + (jlo - P)
                                           : row_scratch + gi * cig * CSs + ((ih - row0) * s + pw) * L.lj + jlo;
                    for (long j0 = 0; j0 < cnt; j0 += 8) {
                        in[nvec] = dyg + (i + L.pt) * L.cols + (jlo + j0 + L.pl);
                        out[nvec] = outRow + j0;
                        lanes[nvec] = (int)(cnt - j0 < 8 ? cnt - j0 : 8);
                        if (++nvec == GROUP_VECTORS) {
                            run_vector_group(nvec, in, out, lanes, cig, Kq, off + k0, wpg, ocs, 0);
                            nvec = 0;
                        }
                    }
                }
                if (nvec > 0) run_vector_group(nvec, in, out, lanes, cig, Kq, off + k0, wpg, ocs, 0);
            }
        }
    }
    if (s == 1) return;
    // Interleave: dX[c][ih][b − P] = scratch[c][ih − row0][b mod S][b / S] for b in [P, P + W).
    for (long c = 0; c < g->cin; ++c)
        for (long ih = row0; ih < row1; ++ih) {
            const float *src = row_scratch + c * CSs + (ih - row0) * s * L.lj;
            float *drow = dx + c * HW + ih * W - P;  // indexed by b
            long b = P;
            if (s == 2) {
                const float *s0 = src, *s1 = src + L.lj;
                // Scalar until b is even, then 16 columns (8 per phase) at a time.
                for (; b < P + W && (b & 1); ++b) drow[b] = s1[b >> 1];
                for (; b + 16 <= P + W; b += 16) {
                    const __m256 a0 = _mm256_loadu_ps(s0 + (b >> 1)), a1 = _mm256_loadu_ps(s1 + (b >> 1));
                    const __m256 lo = _mm256_unpacklo_ps(a0, a1), hi = _mm256_unpackhi_ps(a0, a1);
                    _mm256_storeu_ps(drow + b, _mm256_permute2f128_ps(lo, hi, 0x20));
                    _mm256_storeu_ps(drow + b + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
                }
            }
            for (; b < P + W; ++b) drow[b] = src[(b % s) * L.lj + b / s];
        }
}

// MARK: - bias gradient

void rcp_sum_rows(const float *m, long rows, long length, float *out) {
    for (long r = 0; r < rows; ++r) {
        const float *p = m + r * length;
        // Four 8-lane float accumulators per row (each sums ≤ length/32 values), combined in double.
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        long j = 0;
        for (; j + 32 <= length; j += 32) {
            a0 = _mm256_add_ps(a0, _mm256_loadu_ps(p + j));
            a1 = _mm256_add_ps(a1, _mm256_loadu_ps(p + j + 8));
            a2 = _mm256_add_ps(a2, _mm256_loadu_ps(p + j + 16));
            a3 = _mm256_add_ps(a3, _mm256_loadu_ps(p + j + 24));
        }
        float lanes[32];
        _mm256_storeu_ps(lanes, a0); _mm256_storeu_ps(lanes + 8, a1);
        _mm256_storeu_ps(lanes + 16, a2); _mm256_storeu_ps(lanes + 24, a3);
        double s = 0;
        for (int i = 0; i < 32; ++i) s += lanes[i];
        for (; j < length; ++j) s += p[j];
        out[r] += (float)s;
    }
}
