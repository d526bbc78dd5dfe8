#ifndef RECEPTIVE_CKERNELS_H
#define RECEPTIVE_CKERNELS_H
#include <stddef.h>
// Hand-written C kernels, compiled with -O3 for x86-64-v3 (AVX2 + FMA); the AVX-512 variants are
// chosen at run time (isa.c). See Sources/CKernels/*.c.
#define RCP_ISA_AVX2 0
#define RCP_ISA_AVX512 1
// The instruction set the convolution kernels use now: AVX-512 when the CPU reports avx512f/vl/dq
// unless RECEPTIVE_KERNELS=avx2 is set in the environment; rcp_set_isa changes it (returns 0,
// changing nothing, when the CPU lacks it). Not to be changed while a kernel runs.
int rcp_isa(void);
int rcp_isa_supported(int isa);
int rcp_set_isa(int isa);
// "avx512" or "avx2": rcp_isa() as a name (for benchmark reports).
const char *rcp_kernels_isa(void);

// Peak FMA throughput (isa.c): `iterations` rounds of RCP_PEAK_CHAINS independent register chains
// acc ← acc·mul + add (vectors of 8 lanes for AVX2, 16 for AVX-512). acc holds RCP_PEAK_CHAINS × 16
// floats: chain i starts from and ends in acc[16i ..< 16i + lanes] (other lanes untouched).
// Returns the flops of one round (chains · lanes · 2).
#define RCP_PEAK_CHAINS 12
long rcp_fma_peak_loop(int isa, long iterations, float mul, float add, float *acc);

// ---------------------------------------------------------------------------------------------
// 2-D convolution (conv2d.c). One image at a time; buffers are owned by the caller.
// Tensors are NCHW without the N: x [Ci, H, W], y/dy [Co, OH, OW], w/dw [Co, Ci/G, KH, KW].
typedef struct {
    long cin, cout, groups;   // channels (total over groups) and group count
    long h, w;                // input rows, columns
    long kh, kw;              // kernel rows, columns
    long stride, dilation, pad;
    long oh, ow;              // output rows, columns: (H + 2P − D(K−1) − 1) / S + 1
} rcp_conv_geometry;

// Forward and backward-weights read a zero-padded, column-phase-split copy of the input image.
// pack_* write only the interior; zero_fill = 1 first zeroes the whole buffer (needed whenever
// the buffer last held another layout or geometry).
size_t rcp_conv_input_scratch_floats(const rcp_conv_geometry *g);
void rcp_conv_pack_input(const rcp_conv_geometry *g, const float *x, float *xp, int zero_fill);
// Tap offsets into the packed input: count = Ci/G·KH·KW.
long rcp_conv_forward_offset_count(const rcp_conv_geometry *g);
void rcp_conv_forward_offsets(const rcp_conv_geometry *g, long *off);
// Weight panels for the forward micro-kernels (weight_floats floats: as many as w for AVX2; channels
// padded to 16 per group for AVX-512).
size_t rcp_conv_forward_weight_floats(const rcp_conv_geometry *g);
void rcp_conv_pack_forward_weights(const rcp_conv_geometry *g, const float *w, float *wp);
// y rows [row0, row1) of one image (overwritten; bias may be NULL).
void rcp_conv_forward_rows(const rcp_conv_geometry *g, const float *xp, const float *wp, const long *off,
                           const float *bias, float *y, long row0, long row1);
// Backward-weights accumulates into a transposed dWᵀ [G, Ci/G·KH·KW, Cpad] (Cpad = Co/G rounded
// up to 8, or to 16 with AVX-512): rows [row0, row1) of one image, using a per-thread dYᵀ scratch. finish adds dWᵀ into
// dw [Co, Ci/G, KH, KW].
size_t rcp_conv_backward_weights_scratch_floats(const rcp_conv_geometry *g);
size_t rcp_conv_backward_weights_accumulator_floats(const rcp_conv_geometry *g);
// next_dy (may be NULL): the dy of the image to come, a prefetch hint like backward-data's.
// dbias (may be NULL): dbias[c] += Σ dy[c] over the image's pixels, the same float result as
// rcp_sum_rows(dy, Co, OH·OW, dbias); only with row0 = 0, row1 = OH (a whole image). Summed while
// dy is transposed when the blocks allow it, else by rcp_sum_rows.
void rcp_conv_backward_weights_rows(const rcp_conv_geometry *g, const float *xp, const long *off,
                                    const float *dy, float *dyt, float *dwt, long row0, long row1,
                                    const float *next_dy, float *dbias);
void rcp_conv_backward_weights_finish(const rcp_conv_geometry *g, const float *dwt, float *dw);

// Backward-data reads a zero-padded copy of dy.
size_t rcp_conv_output_gradient_scratch_floats(const rcp_conv_geometry *g);
void rcp_conv_pack_output_gradient(const rcp_conv_geometry *g, const float *dy, float *dyp, int zero_fill);
// Per-thread scratch for one row of dX (zero floats when stride is 1).
size_t rcp_conv_backward_data_row_scratch_floats(const rcp_conv_geometry *g);
// Plan: weight panels wp (weight_floats), tap offsets off (offset_count), and phase_start [S·S + 1].
long rcp_conv_backward_data_offset_count(const rcp_conv_geometry *g);
size_t rcp_conv_backward_data_weight_floats(const rcp_conv_geometry *g);
void rcp_conv_backward_data_plan(const rcp_conv_geometry *g, const float *w, float *wp, long *off,
                                 long *phase_start);
// dx rows [row0, row1) of one image (overwritten). next_dy (may be NULL) is the unpadded dy of the
// image to be packed next: a hint, prefetched in part while these rows are computed (one-input-
// channel layers at stride 1 only; prefetches never fault, any address is allowed).
void rcp_conv_backward_data_rows(const rcp_conv_geometry *g, const float *dyp, const float *wp,
                                 const long *off, const long *phase_start, float *row_scratch,
                                 float *dx, long row0, long row1, const float *next_dy);
// out[r] += Σ_j m[r·length + j] (bias gradients: sum of dY over pixels).
void rcp_sum_rows(const float *m, long rows, long length, float *out);

// ---------------------------------------------------------------------------------------------
// Element-wise activations (elementwise.c); n elements, out may alias an input.
void rcp_relu_forward(const float *x, float *y, long n);
void rcp_relu_backward(const float *dy, const float *x, float *dx, long n);
void rcp_elu_forward(const float *x, float *y, long n, float alpha);
void rcp_elu_backward(const float *dy, const float *x, float *dx, long n, float alpha);
void rcp_softplus_forward(const float *x, float *y, long n, float beta, float threshold);
void rcp_softplus_backward(const float *dy, const float *x, float *dx, long n, float beta, float threshold);
void rcp_exp_forward(const float *x, float *y, long n);
void rcp_mul(const float *a, const float *b, float *out, long n);

// Batch normalisation per channel of x [N, C, HW] (elementwise.c).
void rcp_channel_moments(const float *x, long n, long c, long hw, long channel, double *mean, double *variance);
void rcp_batchnorm_apply(const float *x, float *y, float *xhat, long n, long c, long hw, long channel,
                         float mean, float inv_std, float gamma, float beta);
void rcp_batchnorm_grad_sums(const float *dy, const float *xhat, long n, long c, long hw, long channel,
                             double *sum_dy, double *sum_dy_xhat);
void rcp_batchnorm_backward_apply(const float *dy, const float *xhat, float *dx, long n, long c, long hw, long channel,
                                  float scale, float mean_dy, float mean_dy_xhat);

// Allocator tuning (allocator.c): keep freed large blocks for reuse instead of unmapping them.
// Process-wide; returns 1 when applied (glibc), 0 otherwise.
int rcp_retain_large_allocations(void);
// Fault guard (faultguard.c): a SIGSEGV/SIGBUS/SIGFPE inside libhdf5 (or libc/libz called from it)
// prints the message last set (one line naming the damaged file) and exits with status 1.
void rcp_fault_guard_install(void);
void rcp_fault_guard_set_message(const char *message);
// Exit the same way if a read that must be quick (an attribute, a string array) has not returned
// after `seconds` (libhdf5 can loop forever on a damaged global heap); unwatch cancels it.
void rcp_fault_guard_watch(unsigned seconds);
void rcp_fault_guard_unwatch(void);

#endif
