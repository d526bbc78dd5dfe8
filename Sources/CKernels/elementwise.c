// Element-wise activation kernels and batch-norm reductions (AVX2).
//
// exp and log are the Cephes single-precision algorithms (range reduction + minimax polynomial),
// accurate to about 1–2 ulp over the float range (exp overflows to +inf above ln(FLT_MAX) and
// underflows gradually through the denormals, as IEEE arithmetic does); expm1 switches to its Taylor series below
// |x| < 0.35 to keep relative accuracy near 0. Tails (n mod 8) use the same vector code on a
// zero-padded copy, so every element sees identical arithmetic.
#include "CKernels.h"
#include <immintrin.h>
#include <math.h>
#include <string.h>

static inline __m256 v_exp(__m256 x) {
    // Beyond [−104, 89] the result is 0 or +inf anyway; the clamp keeps the integer part small.
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-104.0f)), _mm256_set1_ps(89.0f));
    __m256 fx = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f));
    fx = _mm256_floor_ps(fx);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
    const __m256 z = _mm256_mul_ps(x, x);
    __m256 y = _mm256_set1_ps(1.9875691500E-4f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507E-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073E-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894E-2f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459E-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201E-1f));
    y = _mm256_fmadd_ps(y, z, _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
    // y·2^n as y·2^⌊n/2⌋·2^(n−⌊n/2⌋): both factors are normal floats for n ∈ [−150, 129], so the
    // products overflow to +inf and underflow gradually exactly as IEEE arithmetic does.
    const __m256i n = _mm256_cvttps_epi32(fx);
    const __m256i n1 = _mm256_srai_epi32(n, 1), n2 = _mm256_sub_epi32(n, n1);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, _mm256_set1_epi32(127)), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, _mm256_set1_epi32(127)), 23));
    return _mm256_mul_ps(_mm256_mul_ps(y, s1), s2);
}

// e^x − 1: Taylor series to x⁸/8! for |x| < 0.35 (relative error < 1e−8), exp(x) − 1 elsewhere.
static inline __m256 v_expm1(__m256 x) {
    const __m256 big = _mm256_sub_ps(v_exp(x), _mm256_set1_ps(1.0f));
    __m256 p = _mm256_set1_ps(1.0f / 40320);
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.0f / 5040));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.0f / 720));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(0.5f));
    const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, x), x, x);
    const __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    return _mm256_blendv_ps(big, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.35f), _CMP_LT_OQ));
}

// Natural log for x > 0 (Cephes logf).
static inline __m256 v_log(__m256 x) {
    x = _mm256_max_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32(0x00800000)));  // smallest normal
    __m256i imm = _mm256_srli_epi32(_mm256_castps_si256(x), 23);
    x = _mm256_and_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32(~0x7f800000)));
    x = _mm256_or_ps(x, _mm256_set1_ps(0.5f));
    imm = _mm256_sub_epi32(imm, _mm256_set1_epi32(0x7f));
    __m256 e = _mm256_add_ps(_mm256_cvtepi32_ps(imm), _mm256_set1_ps(1.0f));
    const __m256 mask = _mm256_cmp_ps(x, _mm256_set1_ps(0.707106781186547524f), _CMP_LT_OQ);
    const __m256 tmp = _mm256_and_ps(x, mask);
    x = _mm256_sub_ps(x, _mm256_set1_ps(1.0f));
    e = _mm256_sub_ps(e, _mm256_and_ps(_mm256_set1_ps(1.0f), mask));
    x = _mm256_add_ps(x, tmp);
    const __m256 z = _mm256_mul_ps(x, x);
    __m256 y = _mm256_set1_ps(7.0376836292E-2f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(-1.1514610310E-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.1676998740E-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(-1.2420140846E-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.4249322787E-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(-1.6668057665E-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(2.0000714765E-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(-2.4999993993E-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(3.3333331174E-1f));
    y = _mm256_mul_ps(_mm256_mul_ps(y, x), z);
    y = _mm256_fmadd_ps(e, _mm256_set1_ps(-2.12194440e-4f), y);
    y = _mm256_fnmadd_ps(z, _mm256_set1_ps(0.5f), y);
    x = _mm256_add_ps(x, y);
    return _mm256_fmadd_ps(e, _mm256_set1_ps(0.693359375f), x);
}

// log(1 + u) for u ∈ [0, 1]: log(v)·u/(v − 1) with v = 1 + u (exact to rounding; Goldberg), u when v = 1.
static inline __m256 v_log1p_unit(__m256 u) {
    const __m256 v = _mm256_add_ps(u, _mm256_set1_ps(1.0f));
    const __m256 d = _mm256_sub_ps(v, _mm256_set1_ps(1.0f));
    const __m256 eq = _mm256_cmp_ps(d, _mm256_setzero_ps(), _CMP_EQ_OQ);
    const __m256 r = _mm256_mul_ps(v_log(v), _mm256_div_ps(u, _mm256_blendv_ps(d, _mm256_set1_ps(1.0f), eq)));
    return _mm256_blendv_ps(r, u, eq);
}

// r where x is a number, x (NaN) where it is NaN: NaN propagates as in PyTorch (min/max and
// the clamps above would otherwise turn it into a number).
static inline __m256 nan_pass(__m256 r, __m256 x) { return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q)); }

// Applies OP over n elements: full vectors in place, the tail through a zero-padded copy.
#define ELEMENTWISE_1(n, a, out, OP)                                                              \
    do {                                                                                          \
        long i_ = 0;                                                                              \
        for (; i_ + 8 <= (n); i_ += 8) {                                                          \
            const __m256 A = _mm256_loadu_ps((a) + i_);                                           \
            _mm256_storeu_ps((out) + i_, OP);                                                     \
        }                                                                                         \
        if (i_ < (n)) {                                                                           \
            float ta_[8] = {0}, to_[8];                                                           \
            memcpy(ta_, (a) + i_, sizeof(float) * (size_t)((n) - i_));                            \
            const __m256 A = _mm256_loadu_ps(ta_);                                                \
            _mm256_storeu_ps(to_, OP);                                                            \
            memcpy((out) + i_, to_, sizeof(float) * (size_t)((n) - i_));                          \
        }                                                                                         \
    } while (0)

#define ELEMENTWISE_2(n, a, b, out, OP)                                                           \
    do {                                                                                          \
        long i_ = 0;                                                                              \
        for (; i_ + 8 <= (n); i_ += 8) {                                                          \
            const __m256 A = _mm256_loadu_ps((a) + i_), B = _mm256_loadu_ps((b) + i_);            \
            _mm256_storeu_ps((out) + i_, OP);                                                     \
        }                                                                                         \
        if (i_ < (n)) {                                                                           \
            float ta_[8] = {0}, tb_[8] = {0}, to_[8];                                             \
            memcpy(ta_, (a) + i_, sizeof(float) * (size_t)((n) - i_));                            \
            memcpy(tb_, (b) + i_, sizeof(float) * (size_t)((n) - i_));                            \
            const __m256 A = _mm256_loadu_ps(ta_), B = _mm256_loadu_ps(tb_);                      \
            _mm256_storeu_ps(to_, OP);                                                            \
            memcpy((out) + i_, to_, sizeof(float) * (size_t)((n) - i_));                          \
        }                                                                                         \
    } while (0)

// ReLU: y = x where x > 0 or x is NaN, else 0.
static inline __m256 relu(__m256 x) {
    const __m256 keep = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_NLE_UQ);  // !(x <= 0): x > 0 or NaN
    return _mm256_and_ps(x, keep);
}
void rcp_relu_forward(const float *x, float *y, long n) { ELEMENTWISE_1(n, x, y, relu(A)); }
// dx = dy where x > 0, else 0.
void rcp_relu_backward(const float *dy, const float *x, float *dx, long n) {
    ELEMENTWISE_2(n, dy, x, dx, _mm256_and_ps(A, _mm256_cmp_ps(B, _mm256_setzero_ps(), _CMP_GT_OQ)));
}

// ELU: y = x (x > 0), α·expm1(x) (x ≤ 0).
static inline __m256 elu(__m256 x, __m256 alpha) {
    const __m256 neg = _mm256_mul_ps(alpha, v_expm1(_mm256_min_ps(x, _mm256_setzero_ps())));
    return _mm256_blendv_ps(neg, x, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_NLE_UQ));  // x > 0 or NaN
}
void rcp_elu_forward(const float *x, float *y, long n, float alpha) {
    const __m256 a = _mm256_set1_ps(alpha);
    ELEMENTWISE_1(n, x, y, elu(A, a));
}
// dx = dy (x > 0, or NaN as in PyTorch), dy·α·eˣ (x ≤ 0).
static inline __m256 elu_grad(__m256 dy, __m256 x, __m256 alpha) {
    const __m256 neg = _mm256_mul_ps(dy, _mm256_mul_ps(alpha, v_exp(_mm256_min_ps(x, _mm256_setzero_ps()))));
    return _mm256_blendv_ps(neg, dy, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_NLE_UQ));
}
void rcp_elu_backward(const float *dy, const float *x, float *dx, long n, float alpha) {
    const __m256 a = _mm256_set1_ps(alpha);
    ELEMENTWISE_2(n, dy, x, dx, elu_grad(A, B, a));
}

// Softplus: y = log(1 + e^{βx})/β = (max(βx, 0) + log1p(e^{−|βx|}))/β, or x where βx > threshold.
static inline __m256 softplus(__m256 x, __m256 beta, __m256 thr) {
    const __m256 z = _mm256_mul_ps(x, beta);
    const __m256 az = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), z);
    const __m256 sp = _mm256_add_ps(_mm256_max_ps(z, _mm256_setzero_ps()), v_log1p_unit(v_exp(_mm256_sub_ps(_mm256_setzero_ps(), az))));
    return nan_pass(_mm256_blendv_ps(_mm256_div_ps(sp, beta), x, _mm256_cmp_ps(z, thr, _CMP_GT_OQ)), x);
}
void rcp_softplus_forward(const float *x, float *y, long n, float beta, float threshold) {
    const __m256 b = _mm256_set1_ps(beta), t = _mm256_set1_ps(threshold);
    ELEMENTWISE_1(n, x, y, softplus(A, b, t));
}
// dx = dy·σ(βx), or dy where βx > threshold; σ(z) = 1/(1 + e^{−z}) = e^{z}/(1 + e^{z}) for z < 0.
static inline __m256 softplus_grad(__m256 dy, __m256 x, __m256 beta, __m256 thr) {
    const __m256 z = _mm256_mul_ps(x, beta);
    const __m256 e = v_exp(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_andnot_ps(_mm256_set1_ps(-0.0f), z)));
    const __m256 inv = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    const __m256 sig = _mm256_blendv_ps(_mm256_mul_ps(e, inv), inv, _mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_GE_OQ));
    return nan_pass(_mm256_blendv_ps(_mm256_mul_ps(dy, sig), dy, _mm256_cmp_ps(z, thr, _CMP_GT_OQ)), x);
}
void rcp_softplus_backward(const float *dy, const float *x, float *dx, long n, float beta, float threshold) {
    const __m256 b = _mm256_set1_ps(beta), t = _mm256_set1_ps(threshold);
    ELEMENTWISE_2(n, dy, x, dx, softplus_grad(A, B, b, t));
}

void rcp_exp_forward(const float *x, float *y, long n) { ELEMENTWISE_1(n, x, y, nan_pass(v_exp(A), A)); }
// dx = dy·y.
void rcp_mul(const float *a, const float *b, float *out, long n) { ELEMENTWISE_2(n, a, b, out, _mm256_mul_ps(A, B)); }

// MARK: - batch normalisation

// Σ p[j] and Σ (p[j] − c)² over one plane, float lanes combined in double.
static void plane_sums(const float *p, long n, float c, double *sum, double *sumsq) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, q0 = s0, q1 = s0;
    const __m256 vc = _mm256_set1_ps(c);
    long j = 0;
    for (; j + 16 <= n; j += 16) {
        const __m256 a = _mm256_sub_ps(_mm256_loadu_ps(p + j), vc), b = _mm256_sub_ps(_mm256_loadu_ps(p + j + 8), vc);
        s0 = _mm256_add_ps(s0, a); s1 = _mm256_add_ps(s1, b);
        q0 = _mm256_fmadd_ps(a, a, q0); q1 = _mm256_fmadd_ps(b, b, q1);
    }
    float ls[8], lq[8];
    _mm256_storeu_ps(ls, _mm256_add_ps(s0, s1));
    _mm256_storeu_ps(lq, _mm256_add_ps(q0, q1));
    double s = 0, q = 0;
    for (int i = 0; i < 8; ++i) { s += ls[i]; q += lq[i]; }
    for (; j < n; ++j) { const double d = (double)p[j] - c; s += d; q += d * d; }
    *sum += s; *sumsq += q;
}

// Mean and biased variance of channel c of x [N, C, HW]: shifted by the channel's first value
// (stable even when |mean| ≫ std), sums in double across planes.
void rcp_channel_moments(const float *x, long n, long c, long hw, long channel, double *mean, double *variance) {
    const float shift = x[channel * hw];
    double s = 0, q = 0;
    for (long i = 0; i < n; ++i) plane_sums(x + (i * c + channel) * hw, hw, shift, &s, &q);
    const double m = (double)(n * hw);
    const double mu = s / m;
    *mean = shift + mu;
    *variance = q / m - mu * mu > 0 ? q / m - mu * mu : 0;
}

// Channel `channel`: xhat = (x − mean)·inv_std (written when xhat ≠ NULL), y = γ·xhat + β.
void rcp_batchnorm_apply(const float *x, float *y, float *xhat, long n, long c, long hw, long channel,
                         float mean, float inv_std, float gamma, float beta) {
    const __m256 vm = _mm256_set1_ps(mean), vs = _mm256_set1_ps(inv_std), vg = _mm256_set1_ps(gamma), vb = _mm256_set1_ps(beta);
    for (long i = 0; i < n; ++i) {
        const long base = (i * c + channel) * hw;
        long j = 0;
        for (; j + 8 <= hw; j += 8) {
            const __m256 h = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + base + j), vm), vs);
            if (xhat) _mm256_storeu_ps(xhat + base + j, h);
            _mm256_storeu_ps(y + base + j, _mm256_fmadd_ps(vg, h, vb));
        }
        for (; j < hw; ++j) {
            const float h = (x[base + j] - mean) * inv_std;
            if (xhat) xhat[base + j] = h;
            y[base + j] = gamma * h + beta;
        }
    }
}

// Σ dy and Σ dy·xhat over channel `channel` (float lanes per plane, double across planes).
void rcp_batchnorm_grad_sums(const float *dy, const float *xhat, long n, long c, long hw, long channel,
                             double *sum_dy, double *sum_dy_xhat) {
    double s = 0, t = 0;
    for (long i = 0; i < n; ++i) {
        const long base = (i * c + channel) * hw;
        __m256 a = _mm256_setzero_ps(), b = a;
        long j = 0;
        for (; j + 8 <= hw; j += 8) {
            const __m256 g = _mm256_loadu_ps(dy + base + j);
            a = _mm256_add_ps(a, g);
            b = _mm256_fmadd_ps(g, _mm256_loadu_ps(xhat + base + j), b);
        }
        float la[8], lb[8];
        _mm256_storeu_ps(la, a); _mm256_storeu_ps(lb, b);
        for (int k = 0; k < 8; ++k) { s += la[k]; t += lb[k]; }
        for (; j < hw; ++j) { s += dy[base + j]; t += (double)dy[base + j] * xhat[base + j]; }
    }
    *sum_dy = s; *sum_dy_xhat = t;
}

// dx = scale·(dy − mean_dy − xhat·mean_dy_xhat) over channel `channel` (training mode); with
// xhat = NULL: dx = scale·dy (evaluation mode).
void rcp_batchnorm_backward_apply(const float *dy, const float *xhat, float *dx, long n, long c, long hw, long channel,
                                  float scale, float mean_dy, float mean_dy_xhat) {
    const __m256 vs = _mm256_set1_ps(scale), vm = _mm256_set1_ps(mean_dy), vt = _mm256_set1_ps(mean_dy_xhat);
    for (long i = 0; i < n; ++i) {
        const long base = (i * c + channel) * hw;
        long j = 0;
        if (xhat) {
            for (; j + 8 <= hw; j += 8) {
                const __m256 g = _mm256_sub_ps(_mm256_loadu_ps(dy + base + j), vm);
                _mm256_storeu_ps(dx + base + j, _mm256_mul_ps(vs, _mm256_fnmadd_ps(_mm256_loadu_ps(xhat + base + j), vt, g)));
            }
            for (; j < hw; ++j) dx[base + j] = scale * ((dy[base + j] - mean_dy) - xhat[base + j] * mean_dy_xhat);
        } else {
            for (; j + 8 <= hw; j += 8) _mm256_storeu_ps(dx + base + j, _mm256_mul_ps(vs, _mm256_loadu_ps(dy + base + j)));
            for (; j < hw; ++j) dx[base + j] = scale * dy[base + j];
        }
    }
}
