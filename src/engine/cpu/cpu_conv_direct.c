/* Direct stride-1 convolution on the CPU, without im2col: the input is copied once into a
 * zero-padded image whose rows are laid end to end, so that output position q = oh*Wp + ow
 * reads input q + kh*Wp + kw for tap (kh, kw): every tap is a contiguous run. A micro-kernel
 * keeps a block of OB output channels x PV pixel vectors in registers and, for each input
 * channel and tap, loads PV input vectors and broadcasts OB weights (weights are repacked so
 * those OB sit side by side). Columns ow >= OW of each padded row are computed and dropped.
 *
 * Backward-data of a stride-1 convolution is the forward convolution of dy, padded by
 * K-1-P, with the weights rotated 180 degrees and in/out channels swapped: the same kernel.
 * Backward-filter uses the same padded layout with dy transposed so that each position's
 * output channels are contiguous: dy vectors over output channels times broadcast inputs
 * accumulate straight into vectors of dW (the channel-vector form, below). With fewer than
 * four input channels it falls back to per-tap accumulators over positions. 3x3 and 5x5
 * kernels have their own instances (sizes known to the compiler keep the accumulators in
 * registers); other sizes use im2col.
 *
 * Each output is computed by one tile in a fixed order, so results do not depend on the
 * thread count. Compiled with -ffp-contract=fast (multiply-adds fuse). */
#include "cpu/cpu_conv_direct.h"

#include <omp.h>
#include <string.h>

#if defined(__AVX512F__)
#define VL 16
#define OB 8
#define PV 3
#else
#define VL 8
#define OB 4
#define PV 3
#endif
#define TILE (PV * VL)

typedef float vf __attribute__((vector_size(VL * 4)));
typedef float vfu __attribute__((vector_size(VL * 4), aligned(4)));

static inline vf loadu(const float *p) { return *(const vfu *)p; }

/* A vector used by several multiply-adds must be loaded once: left alone, GCC folds the load
 * into each FMA's memory operand, and an unaligned 64-byte load per FMA (most of them
 * crossing cache lines) halves the speed. The empty asm pins the value in a register. */
#define PIN(v) __asm__("" : "+v"(v))
static inline void storeu(float *p, vf v) { *(vfu *)p = v; }

typedef struct {
    int C, O, KH, KW, T; /* T = KH*KW taps */
    int Hp, Wp;          /* padded input */
    int OH, OW;
    int64_t plane;       /* Hp*Wp + slack: one padded channel */
    int64_t Q;           /* OH*Wp: flattened output positions computed */
    int nob;             /* output-channel blocks */
} Direct;

/* fraction of computed lanes that are real outputs */
static double direct_yield(const Direct *d)
{
    double useful = (double)d->OH * d->OW * d->O;
    double done = (double)((d->Q + TILE - 1) / TILE * TILE) * d->nob * OB;
    return useful / done;
}

static Direct direct_plan(int C, int O, int H, int W, int KH, int KW, int P)
{
    Direct d;
    d.C = C;
    d.O = O;
    d.KH = KH;
    d.KW = KW;
    d.T = KH * KW;
    d.Hp = H + 2 * P;
    d.Wp = W + 2 * P;
    d.OH = d.Hp - KH + 1;
    d.OW = d.Wp - KW + 1;
    d.Q = (int64_t)d.OH * d.Wp;
    /* reads reach q + (KH-1)*Wp + KW-1 for q below Q rounded up to a tile */
    d.plane = (int64_t)d.Hp * d.Wp + TILE + d.KW + 16;
    d.nob = (O + OB - 1) / OB;
    return d;
}

int cpu_conv_direct_suits(const ConvGeom *q)
{
    if (q->SH != 1 || q->SW != 1) return 0;
    if (q->PH >= q->KH || q->PW >= q->KW) return 0; /* backward-data needs K-1-P >= 0 */
    Direct d = direct_plan(q->C, q->O, q->H, q->W, q->KH, q->KW, q->PH);
    if (q->PH != q->PW) return 0;
    return direct_yield(&d) >= 0.45;
}

/* wr[ob][c][t][j] = w(o = ob*OB + j, c, t), zero for o >= O. flip: w is the forward weight
 * (O', C', KH, KW) of the convolution being differentiated and we build the weights of its
 * input gradient: out channel = C', in channel = O', taps rotated 180 degrees. */
static void repack(const Direct *d, const float *w, int flip, float *wr)
{
    memset(wr, 0, sizeof(float) * (size_t)d->nob * d->C * d->T * OB);
    for (int o = 0; o < d->O; o++)
        for (int c = 0; c < d->C; c++)
            for (int t = 0; t < d->T; t++) {
                float v = flip ? w[((int64_t)c * d->O + o) * d->T + (d->T - 1 - t)] : w[((int64_t)o * d->C + c) * d->T + t];
                wr[(((int64_t)(o / OB) * d->C + c) * d->T + t) * OB + o % OB] = v;
            }
}

/* padded copy of one image (C, H, W) -> (C, plane), zeros around and after */
static void pad_image(const Direct *d, const float *x, int H, int W, int P, float *xp)
{
    for (int c = 0; c < d->C; c++) {
        float *dst = xp + c * d->plane;
        memset(dst, 0, sizeof(float) * (size_t)d->plane);
        for (int h = 0; h < H; h++)
            memcpy(dst + (int64_t)(h + P) * d->Wp + P, x + ((int64_t)c * H + h) * W, sizeof(float) * (size_t)W);
    }
}

/* out[j][0..TILE) = sum over c, t of wr[c][t][j] * xp[c][q0 + off[t] + ...] */
static void micro(const Direct *d, const float *xp, int64_t q0, const int *off, const float *wr, float *out)
{
    vf acc[OB][PV];
    for (int j = 0; j < OB; j++)
        for (int v = 0; v < PV; v++) acc[j][v] = (vf){0};
    for (int c = 0; c < d->C; c++) {
        const float *xc = xp + c * d->plane + q0;
        const float *wc = wr + (int64_t)c * d->T * OB;
        for (int t = 0; t < d->T; t++) {
            const float *src = xc + off[t];
            vf in[PV];
#pragma GCC unroll 4
            for (int v = 0; v < PV; v++) {
                in[v] = loadu(src + v * VL);
                PIN(in[v]);
            }
            const float *wt = wc + t * OB;
#pragma GCC unroll 16
            for (int j = 0; j < OB; j++) {
                const float wj = wt[j];
#pragma GCC unroll 4
                for (int v = 0; v < PV; v++) acc[j][v] += in[v] * wj;
            }
        }
    }
    for (int j = 0; j < OB; j++)
        for (int v = 0; v < PV; v++) storeu(out + j * TILE + v * VL, acc[j][v]);
}

/* tile -> y rows: drop the padded columns; add bias or accumulate */
static void scatter(const Direct *d, int64_t q0, int ob, const float *tile, const float *bias, int accumulate,
                    float *y)
{
    const int64_t q1 = q0 + TILE < d->Q ? q0 + TILE : d->Q;
    const int64_t ohw = (int64_t)d->OH * d->OW;
    for (int j = 0; j < OB; j++) {
        const int o = ob * OB + j;
        if (o >= d->O) break;
        const float b = bias ? bias[o] : 0.0f;
        float *yo = y + o * ohw;
        int64_t q = q0;
        while (q < q1) {
            const int oh = (int)(q / d->Wp), ow = (int)(q - (int64_t)oh * d->Wp);
            const int64_t run_end = (int64_t)oh * d->Wp + d->OW; /* the row's last real column */
            const int64_t e = run_end < q1 ? run_end : q1;
            if (ow < d->OW) {
                float *dst = yo + (int64_t)oh * d->OW + ow;
                const float *src = tile + j * TILE + (q - q0);
                const int n = (int)(e - q);
                if (accumulate)
                    for (int k = 0; k < n; k++) dst[k] += src[k];
                else
                    for (int k = 0; k < n; k++) dst[k] = src[k] + b;
            }
            q = (int64_t)(oh + 1) * d->Wp;
        }
    }
}

/* one image: every (output block, tile) pair; `par` spreads them over threads, otherwise
 * the calling thread `owner` runs them all (inside an inactive region every thread is
 * number 0, so the owner is passed in) */
static void conv_image(BackendCtx *c, const Direct *d, const float *xp, const float *wr, const int *off,
                       const float *bias, int accumulate, float *y, int par, int owner)
{
    const int64_t ntiles = (d->Q + TILE - 1) / TILE;
    const int64_t jobs = ntiles * d->nob;
#pragma omp parallel num_threads(c->threads) if (par)
    {
        float *tile = c->tbuf[par ? omp_get_thread_num() : owner][1];
#pragma omp for schedule(static)
        for (int64_t job = 0; job < jobs; job++) {
            const int ob = (int)(job / ntiles);
            const int64_t q0 = (job % ntiles) * TILE;
            micro(d, xp, q0, off, wr + (int64_t)ob * d->C * d->T * OB, tile);
            scatter(d, q0, ob, tile, bias, accumulate, y);
        }
    }
}

/* y (N, O, OH, OW) (+)= conv(x (N, C, H, W), weights) for a stride-1 convolution */
static void direct_run(BackendCtx *c, const Direct *d, int N, int H, int W, int P, const float *x, const float *wr,
                       const float *bias, int accumulate, float *y)
{
    int off[64 * 64];
    for (int kh = 0; kh < d->KH; kh++)
        for (int kw = 0; kw < d->KW; kw++) off[kh * d->KW + kw] = kh * d->Wp + kw;
    const int64_t img_in = (int64_t)d->C * H * W, img_out = (int64_t)d->O * d->OH * d->OW;
    const size_t padf = (size_t)(d->C * d->plane);
    /* scratch slot 1 of each thread holds its tile; the padded image goes to slot 0 */
    for (int t = 0; t < c->threads; t++) {
        cpu_thread_scratch(c, t, 0, padf);
        cpu_thread_scratch(c, t, 1, (size_t)OB * TILE);
    }
    if (c->threads > 1 && N >= c->threads) {
#pragma omp parallel for schedule(static) num_threads(c->threads)
        for (int n = 0; n < N; n++) {
            const int tid = omp_get_thread_num();
            float *xp = c->tbuf[tid][0];
            pad_image(d, x + n * img_in, H, W, P, xp);
            conv_image(c, d, xp, wr, off, bias, accumulate, y + n * img_out, 0, tid);
        }
    } else {
        float *xp = c->tbuf[0][0];
        for (int n = 0; n < N; n++) {
            pad_image(d, x + n * img_in, H, W, P, xp);
            conv_image(c, d, xp, wr, off, bias, accumulate, y + n * img_out, c->threads > 1, 0);
        }
    }
}

void cpu_conv_direct_fwd(BackendCtx *c, const ConvGeom *q, const float *x, const float *w, const float *b, float *y)
{
    Direct d = direct_plan(q->C, q->O, q->H, q->W, q->KH, q->KW, q->PH);
    float *wr = cpu_shared_scratch(c, 1, (size_t)d.nob * d.C * d.T * OB);
    repack(&d, w, 0, wr);
    direct_run(c, &d, q->N, q->H, q->W, q->PH, x, wr, b, 0, y);
}

void cpu_conv_direct_bwd_data(BackendCtx *c, const ConvGeom *q, const float *dy, const float *w, float *dx)
{
    /* dx = conv(dy padded by K-1-P, rotated and transposed weights); in O, out C */
    Direct d = direct_plan(q->O, q->C, q->OH, q->OW, q->KH, q->KW, q->KH - 1 - q->PH);
    float *wr = cpu_shared_scratch(c, 1, (size_t)d.nob * d.C * d.T * OB);
    repack(&d, w, 1, wr);
    direct_run(c, &d, q->N, q->OH, q->OW, q->KH - 1 - q->PH, dy, wr, NULL, 1, dx);
}

/* ---- 3x3 convolution of a 2x nearest-upsampled image (the U-Net's upsampling) ----
 * Output pixel (2i+a, 2j+b) of conv3x3(upsample2(x)), padding 1, reads upsampled rows
 * 2i+a-1 .. 2i+a+1, which are x rows i-1, i, i for a = 0 and i, i, i+1 for a = 1 (the same for
 * columns): each of the four output phases (a, b) is a 2x2 convolution of x padded by one,
 * with kernel rows {w0} and {w1 + w2} (a = 0) or {w0 + w1} and {w2} (a = 1), at offset a.
 * 4 taps per output instead of 9, and the upsampled image is never made. The summed weights
 * round once more than the upsample + conv they replace (a last-bit difference). */
static const int UP2_ROWS[2][2][2] = {{{0, 0}, {1, 2}}, {{0, 1}, {2, 2}}}; /* [a][k'] = first, last k */

int cpu_conv_direct_up2_suits(const ConvGeom *q)
{
    return q->KH == 3 && q->KW == 3 && q->SH == 1 && q->SW == 1 && q->PH == 1 && q->PW == 1 && q->H % 2 == 0 &&
           q->W % 2 == 0 && q->O >= OB / 2;
}

/* wr[phase][ob][c][t][j], t = kh'*2 + kw', the phase's summed weights */
static void repack_up2(const Direct *d, const float *w, float *wr)
{
    const int64_t per = (int64_t)d->nob * d->C * 4 * OB;
    memset(wr, 0, sizeof(float) * (size_t)(4 * per));
    for (int ph = 0; ph < 4; ph++)
        for (int o = 0; o < d->O; o++)
            for (int c = 0; c < d->C; c++)
                for (int t = 0; t < 4; t++) {
                    const int *rk = UP2_ROWS[ph >> 1][t >> 1], *ck = UP2_ROWS[ph & 1][t & 1];
                    float v = 0.0f;
                    for (int kh = rk[0]; kh <= rk[1]; kh++)
                        for (int kw = ck[0]; kw <= ck[1]; kw++) v += w[((int64_t)o * d->C + c) * 9 + kh * 3 + kw];
                    wr[ph * per + (((int64_t)(o / OB) * d->C + c) * 4 + t) * OB + o % OB] = v;
                }
}

/* tile of phase (a, b) -> y (O, 2h, 2w): low-res position q = i*Wp + j, j < w */
static void scatter_up2(const Direct *d, int64_t q0, int ob, int a, int b, const float *tile, const float *bias,
                        float *y)
{
    const int h = d->OH, w = d->OW, W2 = 2 * w;
    const int64_t q1 = q0 + TILE < d->Q ? q0 + TILE : d->Q;
    for (int jj = 0; jj < OB && ob * OB + jj < d->O; jj++) {
        const int o = ob * OB + jj;
        const float bo = bias ? bias[o] : 0.0f;
        float *yo = y + (int64_t)o * 4 * h * w + (int64_t)a * W2 + b;
        const float *src = tile + jj * TILE - q0;
        int64_t q = q0;
        while (q < q1) { /* a run of one low-res row's real columns */
            const int i = (int)(q / d->Wp);
            const int64_t e = (int64_t)i * d->Wp + w < q1 ? (int64_t)i * d->Wp + w : q1;
            float *row = yo + (int64_t)2 * i * W2 - 2 * ((int64_t)i * d->Wp);
            for (int64_t k = q; k < e; k++) row[2 * k] = src[k] + bo;
            q = (int64_t)(i + 1) * d->Wp;
        }
    }
}

void cpu_conv_direct_up2_fwd(BackendCtx *c, const ConvGeom *q, const float *x, const float *w, const float *b, float *y)
{
    const int h = q->H / 2, wd = q->W / 2;
    Direct d = direct_plan(q->C, q->O, h, wd, 3, 3, 1); /* x padded by one; h x wd outputs per phase */
    Direct d4 = d;
    d4.T = 4;
    const int64_t per = (int64_t)d.nob * d.C * 4 * OB;
    float *wr = cpu_shared_scratch(c, 1, (size_t)(4 * per));
    repack_up2(&d, w, wr);
    int off[4][4];
    for (int ph = 0; ph < 4; ph++)
        for (int t = 0; t < 4; t++) off[ph][t] = ((ph >> 1) + (t >> 1)) * d.Wp + (ph & 1) + (t & 1);
    const int64_t img_in = (int64_t)d.C * h * wd, img_out = (int64_t)d.O * q->H * q->W;
    const int64_t ntiles = (d.Q + TILE - 1) / TILE, jobs = 4 * d.nob * ntiles;
    for (int t = 0; t < c->threads; t++) {
        cpu_thread_scratch(c, t, 0, (size_t)(d.C * d.plane));
        cpu_thread_scratch(c, t, 1, (size_t)OB * TILE);
    }
    const int per_image = c->threads > 1 && q->N >= c->threads;
    /* images over threads when there are enough of them, else each image's jobs */
#pragma omp parallel for schedule(static) num_threads(c->threads) if (per_image)
    for (int n = 0; n < q->N; n++) {
        const int tid = per_image ? omp_get_thread_num() : 0;
        float *xp = c->tbuf[tid][0];
        pad_image(&d, x + n * img_in, h, wd, 1, xp);
#pragma omp parallel num_threads(c->threads) if (!per_image && c->threads > 1)
        {
            float *tile = c->tbuf[per_image ? tid : omp_get_thread_num()][1];
#pragma omp for schedule(static)
            for (int64_t job = 0; job < jobs; job++) {
                /* the four phases of a tile one after another: they fill the same output rows */
                const int ph = (int)(job % 4), ob = (int)(job / 4 / ntiles);
                const int64_t q0 = job / 4 % ntiles * TILE;
                micro(&d4, xp, q0, off[ph], wr + ph * per + (int64_t)ob * d.C * 4 * OB, tile);
                scatter_up2(&d, q0, ob, ph >> 1, ph & 1, tile, b, y + n * img_out);
            }
        }
    }
}

/* ---- backward-filter ---- */



int cpu_conv_direct_filter_suits(const ConvGeom *q)
{
    if (!cpu_conv_direct_suits(q)) return 0;
    const int T = q->KH * q->KW;
    return (T == 9 && q->KW == 3) || (T == 25 && q->KW == 5);
}

/* acc over images [0, nimg) for output channels [o0, o0+OBK) (clipped to O) and input
 * channel c; dyf holds dy on the padded-width grid (zeros in dropped columns), Qv floats
 * per channel; xpad holds the padded images, d->plane floats per channel */
#define DEFINE_FILTER_KERNEL(NAME, T_, OBK)                                                        \
    static void NAME(const Direct *d, int64_t Qv, const float *dyf, const float *xpad, int nimg, int o0, int c,   \
                     const int *off, double *out)                                                  \
    {                                                                                              \
        vf acc[OBK][T_];                                                                           \
        for (int j = 0; j < OBK; j++)                                                              \
            for (int t = 0; t < T_; t++) acc[j][t] = (vf){0};                                      \
        for (int n = 0; n < nimg; n++) {                                                           \
            const float *xc = xpad + ((int64_t)n * d->C + c) * d->plane;                           \
            const float *dyn[OBK];                                                                 \
            for (int j = 0; j < OBK; j++) {                                                        \
                int o = o0 + j < d->O ? o0 + j : d->O - 1; /* a repeated row, discarded below */   \
                dyn[j] = dyf + ((int64_t)n * d->O + o) * Qv;                                       \
            }                                                                                      \
            for (int64_t q = 0; q < Qv; q += VL) {                                                 \
                vf g[OBK];                                                                         \
                for (int j = 0; j < OBK; j++) g[j] = loadu(dyn[j] + q);                            \
                _Pragma("GCC unroll 32") for (int t = 0; t < T_; t++)                              \
                {                                                                                  \
                    vf xv = loadu(xc + q + off[t]);                                                \
                    if (OBK > 1) PIN(xv); /* one use: let the load fold into the FMA */            \
                    for (int j = 0; j < OBK; j++) acc[j][t] += g[j] * xv;                          \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        for (int j = 0; j < OBK; j++)                                                              \
            for (int t = 0; t < T_; t++) {                                                         \
                double s = 0.0;                                                                    \
                for (int l = 0; l < VL; l++) s += acc[j][t][l];                                    \
                out[j * T_ + t] = s;                                                               \
            }                                                                                      \
    }

#if defined(__AVX512F__)
#define OBK9 2
#else
#define OBK9 1
#endif
DEFINE_FILTER_KERNEL(filter_k3, 9, OBK9)
DEFINE_FILTER_KERNEL(filter_k5, 25, 1)

/* The channel-vector form of backward-filter (enough channels): dy is transposed so that a
 * position's output channels are contiguous (dyt[q][o], o padded to a multiple of 16), and
 *   dW[o][c][kh][kw] += sum_q dyt[q][o] * x[c][q + kh*Wp + kw]
 * is computed with o in vectors: per position, OV aligned dy vectors times CB x TB broadcast
 * inputs (CB channels, the TB = KW taps of one kernel row) into CB*TB*OV accumulators that
 * live across every position of every image. Like the forward kernel: aligned loads,
 * broadcasts folded into the FMAs, no horizontal sums. */
#define DEFINE_FILTER_CV(NAME, OV, CB, TB)                                                         \
    static void NAME(int nimg, int64_t Qv, int Op, const float *dyt, const float *xpad, int64_t plane, int C, int c0, \
                     int row_off, int o0, vf *accm)                                                \
    {                                                                                              \
        vf acc[CB][TB][OV];                                                                        \
        for (int i = 0; i < CB; i++)                                                               \
            for (int t = 0; t < TB; t++)                                                           \
                for (int v = 0; v < OV; v++) acc[i][t][v] = accm[(i * TB + t) * OV + v];            \
        for (int n = 0; n < nimg; n++) {                                                           \
            const float *dq = dyt + (int64_t)n * Qv * Op + o0;                                     \
            const float *xb[CB];                                                                   \
            for (int i = 0; i < CB; i++)                                                           \
                xb[i] = xpad + ((int64_t)n * C + (c0 + i < C ? c0 + i : C - 1)) * plane + row_off; \
            for (int64_t q = 0; q < Qv; q++) {                                                     \
                vf g[OV];                                                                          \
                _Pragma("GCC unroll 4") for (int v = 0; v < OV; v++)                               \
                {                                                                                  \
                    g[v] = *(const vf *)(dq + q * Op + v * VL);                                    \
                    PIN(g[v]);                                                                     \
                }                                                                                  \
                _Pragma("GCC unroll 8") for (int i = 0; i < CB; i++)                               \
                    _Pragma("GCC unroll 8") for (int t = 0; t < TB; t++)                           \
                {                                                                                  \
                    const float xs = xb[i][q + t];                                                 \
                    _Pragma("GCC unroll 4") for (int v = 0; v < OV; v++) acc[i][t][v] += g[v] * xs;  \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        for (int i = 0; i < CB; i++)                                                               \
            for (int t = 0; t < TB; t++)                                                           \
                for (int v = 0; v < OV; v++) accm[(i * TB + t) * OV + v] = acc[i][t][v];            \
    }

#if defined(__AVX512F__) /* 32 registers: up to 24 accumulators */
DEFINE_FILTER_CV(fcv3_4, 4, 2, 3)
DEFINE_FILTER_CV(fcv3_2, 2, 4, 3)
DEFINE_FILTER_CV(fcv3_1, 1, 8, 3)
DEFINE_FILTER_CV(fcv5_4, 4, 1, 5)
DEFINE_FILTER_CV(fcv5_2, 2, 2, 5)
DEFINE_FILTER_CV(fcv5_1, 1, 4, 5)
#else /* 16 registers: up to 12 accumulators */
DEFINE_FILTER_CV(fcv3_4, 4, 1, 3)
DEFINE_FILTER_CV(fcv3_2, 2, 2, 3)
DEFINE_FILTER_CV(fcv3_1, 1, 4, 3)
DEFINE_FILTER_CV(fcv5_4, 2, 1, 5) /* (no 4-vector instance: 20 accumulators do not fit) */
DEFINE_FILTER_CV(fcv5_2, 2, 1, 5)
DEFINE_FILTER_CV(fcv5_1, 1, 2, 5)
#endif

typedef void (*FilterCv)(int, int64_t, int, const float *, const float *, int64_t, int, int, int, int, vf *);

typedef struct {
    FilterCv fn;
    int ov, cb, tb;
} FilterCvKind;

static FilterCvKind filter_cv_kind(int O, int KW)
{
    const int nv = (O + VL - 1) / VL;
#if defined(__AVX512F__)
    const int cb3[5] = {0, 8, 4, 4, 2}, cb5[5] = {0, 4, 2, 2, 1};
#else
    const int cb3[5] = {0, 4, 2, 2, 1}, cb5[5] = {0, 2, 1, 1, 1};
#endif
    FilterCvKind k;
    k.ov = nv >= 4 ? 4 : nv >= 2 ? 2 : 1;
#if !defined(__AVX512F__)
    if (KW == 5 && k.ov == 4) k.ov = 2;
#endif
    k.tb = KW;
    k.cb = KW == 3 ? cb3[k.ov] : cb5[k.ov];
    if (KW == 3)
        k.fn = k.ov == 4 ? fcv3_4 : k.ov == 2 ? fcv3_2 : fcv3_1;
    else
        k.fn = k.ov == 4 ? fcv5_4 : k.ov == 2 ? fcv5_2 : fcv5_1;
    return k;
}

enum { FB_CHUNK_FLOATS = 1 << 24 }; /* padded images + dy of one chunk of images: 64 MiB */

void cpu_conv_direct_bwd_filter(BackendCtx *c, const ConvGeom *q, const float *dy, const float *x, float *dw)
{
    Direct d = direct_plan(q->C, q->O, q->H, q->W, q->KH, q->KW, q->PH);
    const int T = d.T;
    const int cv = d.C >= 4 && (d.KW == 3 || d.KW == 5); /* else the per-tap kernels (3x3, 5x5) */
    const FilterCvKind k = filter_cv_kind(d.O, d.KW);
    const int Op = (d.O + VL * k.ov - 1) / (VL * k.ov) * (VL * k.ov); /* dyt row: whole o-blocks */
    const int64_t Qv = (d.Q + VL - 1) / VL * VL;
    int off[64 * 64];
    for (int kh = 0; kh < d.KH; kh++)
        for (int kw = 0; kw < d.KW; kw++) off[kh * d.KW + kw] = kh * d.Wp + kw;
    const int64_t dy_img = cv ? Qv * Op : (int64_t)d.O * Qv;
    const int64_t per_img = (int64_t)d.C * d.plane + dy_img;
    int chunk = (int)(FB_CHUNK_FLOATS / per_img);
    if (chunk < 1) chunk = 1;
    if (chunk > q->N) chunk = q->N;
    float *xpad = cpu_shared_scratch(c, 1, (size_t)(chunk * per_img + VL));
    /* dy rows must be 64-byte aligned for the vector loads */
    float *dyf = xpad + ((int64_t)chunk * d.C * d.plane + VL - 1) / VL * VL;
    /* jobs: channel-vector form (c-block, kernel row, o-block); tap form (o-block, channel) */
    const int ncb = cv ? (d.C + k.cb - 1) / k.cb : d.C, nob = cv ? Op / (VL * k.ov) : (d.O + OBK9 - 1) / OBK9;
    const int obk = T == 9 ? OBK9 : 1;
    const int64_t jobs = cv ? (int64_t)ncb * d.KH * nob : (int64_t)((d.O + obk - 1) / obk) * d.C;
    const int64_t per_job = cv ? (int64_t)k.cb * k.tb * k.ov : (int64_t)obk * T;
    vf *accm = cv ? (vf *)cpu_shared_scratch(c, 2, (size_t)(jobs * per_job * VL)) : NULL;
    double *res = cv ? NULL : (double *)cpu_shared_scratch(c, 2, (size_t)(jobs * per_job * 2));
    if (cv) memset(accm, 0, sizeof(vf) * (size_t)(jobs * per_job));
    const int64_t img_in = (int64_t)d.C * q->H * q->W, img_out = (int64_t)d.O * d.OH * d.OW;
    for (int n0 = 0; n0 < q->N; n0 += chunk) {
        const int nimg = q->N - n0 < chunk ? q->N - n0 : chunk;
        /* padded inputs, and dy on the padded-width grid (transposed for the vector form) */
#pragma omp parallel for schedule(static) num_threads(c->threads) if (c->threads > 1)
        for (int n = 0; n < nimg; n++) {
            pad_image(&d, x + (n0 + n) * img_in, q->H, q->W, q->PH, xpad + (int64_t)n * d.C * d.plane);
            float *dst = dyf + n * dy_img;
            const float *src = dy + (n0 + n) * img_out;
            const int64_t ohw = (int64_t)d.OH * d.OW;
            memset(dst, 0, sizeof(float) * (size_t)dy_img);
            if (cv) /* transpose: each position's channels written contiguously */
                for (int oh = 0; oh < d.OH; oh++)
                    for (int ow = 0; ow < d.OW; ow++) {
                        float *row = dst + ((int64_t)oh * d.Wp + ow) * Op;
                        const float *col = src + (int64_t)oh * d.OW + ow;
                        for (int o = 0; o < d.O; o++) row[o] = col[o * ohw];
                    }
            else
                for (int o = 0; o < d.O; o++)
                    for (int oh = 0; oh < d.OH; oh++)
                        memcpy(dst + (int64_t)o * Qv + (int64_t)oh * d.Wp, src + o * ohw + (int64_t)oh * d.OW,
                               sizeof(float) * (size_t)d.OW);
        }
#pragma omp parallel for schedule(static) num_threads(c->threads) if (c->threads > 1)
        for (int64_t job = 0; job < jobs; job++) {
            if (cv) {
                const int ob = (int)(job % nob), kh = (int)((job / nob) % d.KH), cb = (int)(job / nob / d.KH);
                k.fn(nimg, Qv, Op, dyf, xpad, d.plane, d.C, cb * k.cb, kh * d.Wp, ob * VL * k.ov,
                     accm + job * per_job);
            } else {
                const int ob = (int)(job / d.C), ch = (int)(job % d.C);
                if (T == 9)
                    filter_k3(&d, Qv, dyf, xpad, nimg, ob * obk, ch, off, res + job * per_job);
                else
                    filter_k5(&d, Qv, dyf, xpad, nimg, ob * obk, ch, off, res + job * per_job);
            }
        }
        if (!cv) /* the tap kernels return sums per image chunk: add them in order */
            for (int64_t job = 0; job < jobs; job++) {
                const int ob = (int)(job / d.C), ch = (int)(job % d.C);
                for (int j = 0; j < obk && ob * obk + j < d.O; j++)
                    for (int t = 0; t < T; t++)
                        dw[((int64_t)(ob * obk + j) * d.C + ch) * T + t] += (float)res[job * per_job + j * T + t];
            }
    }
    if (cv) /* accumulator lanes are output channels: no horizontal sums */
        for (int64_t job = 0; job < jobs; job++) {
            const int ob = (int)(job % nob), kh = (int)((job / nob) % d.KH), cb = (int)(job / nob / d.KH);
            const vf *a = accm + job * per_job;
            for (int i = 0; i < k.cb && cb * k.cb + i < d.C; i++)
                for (int t = 0; t < k.tb; t++)
                    for (int v = 0; v < k.ov; v++)
                        for (int l = 0; l < VL; l++) {
                            const int o = ob * VL * k.ov + v * VL + l;
                            if (o < d.O)
                                dw[((int64_t)o * d.C + cb * k.cb + i) * T + kh * d.KW + t] += a[(i * k.tb + t) * k.ov + v][l];
                        }
        }
}
