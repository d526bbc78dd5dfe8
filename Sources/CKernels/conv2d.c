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
// the zero-padded dY with the taps of each output phase (ih, iw mod S); backward-weights reduces
// over pixels with MR × NK accumulators.
#include "CKernels.h"
#include <immintrin.h>
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

void rcp_conv_pack_input(const rcp_conv_geometry *g, const float *x, float *xp) {
    const long s = g->stride, P = g->pad, L = input_segment(g), R = s * L, CS = input_channel_stride(g);
    const long H = g->h, W = g->w;
    memset(xp, 0, sizeof(float) * rcp_conv_input_scratch_floats(g));
    for (long c = 0; c < g->cin; ++c) {
        for (long r = 0; r < H; ++r) {
            const float *src = x + (c * H + r) * W;
            float *row = xp + c * CS + (r + P) * R;
            if (s == 1) {
                memcpy(row + P, src, sizeof(float) * (size_t)W);
            } else {
                for (long col = 0; col < W; ++col) {
                    long pc = col + P;
                    row[(pc % s) * L + pc / s] = src[col];
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

void rcp_conv_pack_forward_weights(const rcp_conv_geometry *g, const float *w, float *wp) {
    pack_panels(w, wp, g->groups, g->cout / g->groups, rcp_conv_forward_offset_count(g));
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

static inline float hsum256(__m256 v) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

typedef void (*wtile_fn)(int nvec, const long *xb, const long *yb, const int *lanes, const float *x,
                         const long *offk, const float *dy, long ycs, float *dw, long dwcs);

#define BWW_TILE(MR, NK)                                                                          \
    static void bww_tile_##MR##x##NK(int nvec, const long *xb, const long *yb, const int *lanes,  \
                                     const float *x, const long *offk, const float *dy, long ycs, \
                                     float *dw, long dwcs) {                                      \
        __m256 acc[MR][NK];                                                                       \
        for (int m = 0; m < MR; ++m)                                                              \
            for (int k = 0; k < NK; ++k) acc[m][k] = _mm256_setzero_ps();                         \
        const float *px[NK];                                                                      \
        for (int k = 0; k < NK; ++k) px[k] = x + offk[k];                                         \
        const float *py[MR];                                                                      \
        for (int m = 0; m < MR; ++m) py[m] = dy + m * ycs;                                        \
        for (int v = 0; v < nvec; ++v) {                                                          \
            const long xo = xb[v], yo = yb[v];                                                    \
            if (lanes[v] == 8) {                                                                  \
                __m256 a[NK];                                                                     \
                for (int k = 0; k < NK; ++k) a[k] = _mm256_loadu_ps(px[k] + xo);                  \
                for (int m = 0; m < MR; ++m) {                                                    \
                    const __m256 yv = _mm256_loadu_ps(py[m] + yo);                                \
                    for (int k = 0; k < NK; ++k) acc[m][k] = _mm256_fmadd_ps(yv, a[k], acc[m][k]); \
                }                                                                                 \
            } else {                                                                              \
                const __m256i mk = lane_mask(lanes[v]);                                           \
                __m256 a[NK];                                                                     \
                for (int k = 0; k < NK; ++k) a[k] = _mm256_maskload_ps(px[k] + xo, mk);           \
                for (int m = 0; m < MR; ++m) {                                                    \
                    const __m256 yv = _mm256_maskload_ps(py[m] + yo, mk);                         \
                    for (int k = 0; k < NK; ++k) acc[m][k] = _mm256_fmadd_ps(yv, a[k], acc[m][k]); \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
        for (int m = 0; m < MR; ++m)                                                              \
            for (int k = 0; k < NK; ++k) dw[m * dwcs + k] += hsum256(acc[m][k]);                  \
    }

BWW_TILE(4, 3) BWW_TILE(4, 2) BWW_TILE(4, 1)
BWW_TILE(3, 3) BWW_TILE(3, 2) BWW_TILE(3, 1)
BWW_TILE(2, 3) BWW_TILE(2, 2) BWW_TILE(2, 1)
BWW_TILE(1, 3) BWW_TILE(1, 2) BWW_TILE(1, 1)

static const wtile_fn wtiles[5][4] = {
    {0, 0, 0, 0},
    {0, bww_tile_1x1, bww_tile_1x2, bww_tile_1x3},
    {0, bww_tile_2x1, bww_tile_2x2, bww_tile_2x3},
    {0, bww_tile_3x1, bww_tile_3x2, bww_tile_3x3},
    {0, bww_tile_4x1, bww_tile_4x2, bww_tile_4x3},
};

#define BWW_BLOCK 64  // pixel vectors per block: dY of a 4-channel tile (8 KB) stays in L1

static void bww_block(int nvec, const long *xb, const long *yb, const int *lanes, const float *xg,
                      const long *off, long K, const float *dyg, long ohw, float *dwg, long cog) {
    for (long c0 = 0; c0 < cog; c0 += 4) {
        const long mr = cog - c0 < 4 ? cog - c0 : 4;
        for (long k0 = 0; k0 < K; k0 += 3) {
            const long nk = K - k0 < 3 ? K - k0 : 3;
            wtiles[mr][nk](nvec, xb, yb, lanes, xg, off + k0, dyg + c0 * ohw, ohw, dwg + c0 * K + k0, K);
        }
    }
}

void rcp_conv_backward_weights_rows(const rcp_conv_geometry *g, const float *xp, const long *off,
                                    const float *dy, float *dw, long row0, long row1) {
    const long s = g->stride, R = input_row_stride(g), CS = input_channel_stride(g);
    const long OW = g->ow, OHW = g->oh * g->ow;
    const long cig = g->cin / g->groups, cog = g->cout / g->groups, K = rcp_conv_forward_offset_count(g);
    long xb[BWW_BLOCK], yb[BWW_BLOCK];
    int lanes[BWW_BLOCK];
    for (long gi = 0; gi < g->groups; ++gi) {
        const float *xg = xp + gi * cig * CS;
        const float *dyg = dy + gi * cog * OHW;
        float *dwg = dw + gi * cog * K;
        int nvec = 0;
        for (long oh = row0; oh < row1; ++oh) {
            for (long ow0 = 0; ow0 < OW; ow0 += 8) {
                xb[nvec] = oh * s * R + ow0;
                yb[nvec] = oh * OW + ow0;
                lanes[nvec] = (int)(OW - ow0 < 8 ? OW - ow0 : 8);
                if (++nvec == BWW_BLOCK) {
                    bww_block(nvec, xb, yb, lanes, xg, off, K, dyg, OHW, dwg, cog);
                    nvec = 0;
                }
            }
        }
        if (nvec > 0) bww_block(nvec, xb, yb, lanes, xg, off, K, dyg, OHW, dwg, cog);
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
    L.rows = L.pt + (maxRow > g->oh ? maxRow : g->oh);
    long maxCol = g->ow, lj = 8;
    for (long pw = 0; pw < s; ++pw) {
        long jlo, cnt;
        phase_columns(g, pw, &jlo, &cnt);
        if (jlo + round_up8(cnt) > maxCol) maxCol = jlo + round_up8(cnt);
        if (round_up8(cnt) > lj) lj = round_up8(cnt);
    }
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
    return (size_t)(g->cin * g->stride * L.lj);
}

void rcp_conv_pack_output_gradient(const rcp_conv_geometry *g, const float *dy, float *dyp) {
    dy_layout L = dy_layout_for(g);
    memset(dyp, 0, sizeof(float) * rcp_conv_output_gradient_scratch_floats(g));
    for (long c = 0; c < g->cout; ++c)
        for (long r = 0; r < g->oh; ++r)
            memcpy(dyp + (c * L.rows + r + L.pt) * L.cols + L.pl, dy + (c * g->oh + r) * g->ow,
                   sizeof(float) * (size_t)g->ow);
}

long rcp_conv_backward_data_offset_count(const rcp_conv_geometry *g) {
    return (g->cout / g->groups) * g->kh * g->kw;
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

void rcp_conv_backward_data_rows(const rcp_conv_geometry *g, const float *dyp, const float *wp,
                                 const long *off, const long *phase_start, float *row_scratch,
                                 float *dx, long row0, long row1) {
    const long s = g->stride, P = g->pad, W = g->w, HW = g->h * g->w;
    const long cig = g->cin / g->groups, cog = g->cout / g->groups;
    dy_layout L = dy_layout_for(g);
    const long CSy = L.rows * L.cols;
    const float *in[GROUP_VECTORS];
    float *out[GROUP_VECTORS];
    int lanes[GROUP_VECTORS];
    for (long ih = row0; ih < row1; ++ih) {
        const long a = ih + P, ph = a % s, i = a / s;
        for (long pw = 0; pw < s; ++pw) {
            long jlo, cnt;
            phase_columns(g, pw, &jlo, &cnt);
            if (cnt == 0) continue;
            const long q = ph * s + pw, k0 = phase_start[q], Kq = phase_start[q + 1] - k0;
            for (long gi = 0; gi < g->groups; ++gi) {
                const float *dyg = dyp + gi * cog * CSy;
                const float *wpg = wp + k0 * g->cin + gi * cig * Kq;
                // Output: dX row directly for S = 1 (iw = j − P); else row_scratch [Ci][S][Lj].
                float *outBase;
                long ocs;
                if (s == 1) { outBase = dx + gi * cig * HW + ih * W + (jlo - P); ocs = HW; }
                else { outBase = row_scratch + (gi * cig * s + pw) * L.lj; ocs = s * L.lj; }
                int nvec = 0;
                for (long j0 = 0; j0 < cnt; j0 += 8) {
                    in[nvec] = dyg + (i + L.pt) * L.cols + (jlo + j0 + L.pl);
                    out[nvec] = outBase + j0;
                    lanes[nvec] = (int)(cnt - j0 < 8 ? cnt - j0 : 8);
                    if (++nvec == GROUP_VECTORS) {
                        run_vector_group(nvec, in, out, lanes, cig, Kq, off + k0, wpg, ocs, 0);
                        nvec = 0;
                    }
                }
                if (nvec > 0) run_vector_group(nvec, in, out, lanes, cig, Kq, off + k0, wpg, ocs, 0);
            }
        }
        if (s > 1) {
            // De-interleave the phases of this row: iw = pw + S·j − P.
            for (long c = 0; c < g->cin; ++c) {
                float *drow = dx + c * HW + ih * W;
                for (long pw = 0; pw < s; ++pw) {
                    long jlo, cnt;
                    phase_columns(g, pw, &jlo, &cnt);
                    const float *src = row_scratch + (c * s + pw) * L.lj;
                    for (long j = 0; j < cnt; ++j) drow[pw + s * (jlo + j) - P] = src[j];
                }
            }
        }
    }
}
