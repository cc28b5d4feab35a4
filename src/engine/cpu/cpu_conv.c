/* Convolution on the CPU: im2col + sgemm. Images are processed in groups of g so that one
 * product has enough columns to run near peak (LeNet's 16->120 layer has a 1x1 output:
 * per-image products would be matrix-vector products); g depends on the shape only, so
 * results do not depend on the thread count. Groups run one per thread when there are
 * enough of them, else one after another, each with its product's tiles on all threads.
 *
 * Letters: x (N, C, H, W), w (O, C, KH, KW), y (N, O, OH, OW); ckk = C*KH*KW; ohw = OH*OW;
 * a group's column matrix is (ckk, gn*ohw) with image i's columns at i*ohw. */
#include "cpu/cpu_internal.h"

#include "cpu/cpu_conv_direct.h"

#include <omp.h>
#include <string.h>

enum { CONV_TARGET_COLS = 512, CONV_MAX_COL_FLOATS = 1 << 20, CONV_FILTER_LANES = 8 };

typedef struct {
    int64_t ckk, ohw, img_in, img_out;
    int g, ngroups;
    int direct; /* 1x1, stride 1, no padding: the image is its own column matrix */
} ConvPlan;

static ConvPlan conv_plan(const ConvGeom *q)
{
    ConvPlan p;
    p.ckk = (int64_t)q->C * q->KH * q->KW;
    p.ohw = (int64_t)q->OH * q->OW;
    p.img_in = (int64_t)q->C * q->H * q->W;
    p.img_out = (int64_t)q->O * p.ohw;
    p.direct = q->KH == 1 && q->KW == 1 && q->SH == 1 && q->SW == 1 && q->PH == 0 && q->PW == 0;
    int g = (int)((CONV_TARGET_COLS + p.ohw - 1) / p.ohw);
    if (g > q->N) g = q->N;
    while (g > 1 && p.ckk * g * p.ohw > CONV_MAX_COL_FLOATS) g--;
    p.g = g < 1 ? 1 : g;
    p.ngroups = (q->N + p.g - 1) / p.g;
    return p;
}

static int group_size(const ConvGeom *q, const ConvPlan *p, int grp)
{
    int n0 = grp * p->g;
    return q->N - n0 < p->g ? q->N - n0 : p->g;
}

/* col (ckk, gn*ohw) from images x[0..gn) */
static void im2col(BackendCtx *c, const ConvGeom *q, const ConvPlan *p, const float *x, int gn, float *col, int par)
{
    const int64_t ld = gn * p->ohw, rows = p->ckk;
    const int KK = q->KH * q->KW;
#pragma omp parallel for schedule(static) num_threads(c->threads) if (par)
    for (int64_t r = 0; r < rows; r++) {
        int ch = (int)(r / KK), kh = (int)(r / q->KW) % q->KH, kw = (int)(r % q->KW);
        float *dst = col + r * ld;
        for (int i = 0; i < gn; i++) {
            const float *xp = x + i * p->img_in + (int64_t)ch * q->H * q->W;
            for (int oh = 0; oh < q->OH; oh++) {
                float *d = dst + i * p->ohw + (int64_t)oh * q->OW;
                int ih = oh * q->SH - q->PH + kh;
                if (ih < 0 || ih >= q->H) {
                    memset(d, 0, sizeof(float) * (size_t)q->OW);
                    continue;
                }
                const float *row = xp + (int64_t)ih * q->W;
                if (q->SW == 1) {
                    int lo = q->PW - kw > 0 ? q->PW - kw : 0;
                    int hi = q->W + q->PW - kw < q->OW ? q->W + q->PW - kw : q->OW;
                    if (hi < lo) hi = lo;
                    if (lo > 0) memset(d, 0, sizeof(float) * (size_t)lo);
                    if (hi > lo) memcpy(d + lo, row + lo - q->PW + kw, sizeof(float) * (size_t)(hi - lo));
                    if (hi < q->OW) memset(d + hi, 0, sizeof(float) * (size_t)(q->OW - hi));
                } else {
                    for (int ow = 0; ow < q->OW; ow++) {
                        int iw = ow * q->SW - q->PW + kw;
                        d[ow] = iw >= 0 && iw < q->W ? row[iw] : 0.0f;
                    }
                }
            }
        }
    }
}

/* dx[0..gn) += col2im(col); parallel over channels, so no two threads touch one plane */
static void col2im_add(BackendCtx *c, const ConvGeom *q, const ConvPlan *p, const float *col, int gn, float *dx,
                       int par)
{
    const int64_t ld = gn * p->ohw;
#pragma omp parallel for schedule(static) num_threads(c->threads) if (par)
    for (int ch = 0; ch < q->C; ch++) {
        for (int kh = 0; kh < q->KH; kh++)
            for (int kw = 0; kw < q->KW; kw++) {
                const float *src = col + ((int64_t)(ch * q->KH + kh) * q->KW + kw) * ld;
                for (int i = 0; i < gn; i++) {
                    float *xp = dx + i * p->img_in + (int64_t)ch * q->H * q->W;
                    for (int oh = 0; oh < q->OH; oh++) {
                        int ih = oh * q->SH - q->PH + kh;
                        if (ih < 0 || ih >= q->H) continue;
                        const float *s = src + i * p->ohw + (int64_t)oh * q->OW;
                        float *row = xp + (int64_t)ih * q->W;
                        for (int ow = 0; ow < q->OW; ow++) {
                            int iw = ow * q->SW - q->PW + kw;
                            if (iw >= 0 && iw < q->W) row[iw] += s[ow];
                        }
                    }
                }
            }
    }
}

/* (O, gn*ohw) <-> gn images of (O, ohw) */
static void gather_out(const ConvPlan *p, int O, const float *y, int gn, float *dst)
{
    for (int o = 0; o < O; o++)
        for (int i = 0; i < gn; i++)
            memcpy(dst + (int64_t)o * gn * p->ohw + i * p->ohw, y + i * p->img_out + (int64_t)o * p->ohw,
                   sizeof(float) * (size_t)p->ohw);
}

static void conv_fwd_group(BackendCtx *c, const ConvGeom *q, const ConvPlan *p, const float *x, const float *w, const float *b,
                           float *y, int gn, float *colbuf, float *outbuf, int par)
{
    const int64_t cols = gn * p->ohw;
    const float *col = x;
    if (!(p->direct && gn == 1)) {
        im2col(c, q, p, x, gn, colbuf, par);
        col = colbuf;
    }
    float *out = gn == 1 ? y : outbuf;
    cpu_gemm_run(c, par, 0, 0, q->O, (int)cols, (int)p->ckk, 1.0f, w, (int)p->ckk, col, (int)cols, 0.0f, out, (int)cols);
    for (int i = 0; i < gn; i++)
        for (int o = 0; o < q->O; o++) {
            float *dst = y + i * p->img_out + (int64_t)o * p->ohw;
            const float *src = out + (int64_t)o * cols + i * p->ohw;
            float bo = b ? b[o] : 0.0f;
            if (gn == 1) {
                if (b)
                    for (int64_t k = 0; k < p->ohw; k++) dst[k] += bo;
            } else {
                for (int64_t k = 0; k < p->ohw; k++) dst[k] = src[k] + bo;
            }
        }
}

/* A 3x3 stride-2 convolution (the U-Net's downsampling) as a stride-1 2x2 convolution for
 * the direct kernel: output (i, j) reads padded input (2i + kh, 2j + kw), so with the four
 * phase images X_ab[r][s] = x_padded[2r + a][2s + b] as 4C channels it reads phase
 * (kh % 2, kw % 2) at (i + kh / 2, j + kw / 2), and the taps a 3x3 kernel lacks (kh or kw = 3)
 * get zero weights: 16 products per output where im2col + sgemm did 9, at several times the
 * speed. Phases in shared scratch 0, weights in 2 (backward-filter's, never live at once). */
static int conv_s2_suits(const ConvGeom *q)
{
    return q->KH == 3 && q->KW == 3 && q->SH == 2 && q->SW == 2 && q->PH == q->PW && q->PH <= 1;
}

static void conv_fwd_s2_phases(BackendCtx *c, const ConvGeom *q, const float *x, const float *w, const float *b, float *y)
{
    const int R = q->OH + 1, S = q->OW + 1, C4 = 4 * q->C, P = q->PH;
    const int64_t img = (int64_t)C4 * R * S;
    float *xp = cpu_shared_scratch(c, 0, (size_t)(q->N * img)), *wp = cpu_shared_scratch(c, 2, (size_t)q->O * C4 * 4);
#pragma omp parallel for schedule(static) num_threads(c->threads) if (q->N * img > CPU_PAR_MIN)
    for (int64_t nc = 0; nc < (int64_t)q->N * q->C; nc++) {
        const float *src = x + nc * q->H * q->W;
        for (int ph = 0; ph < 4; ph++) {
            float *dst = xp + (nc / q->C) * img + ((int64_t)ph * q->C + nc % q->C) * R * S;
            for (int r = 0; r < R; r++)
                for (int s2 = 0; s2 < S; s2++) {
                    const int u = 2 * r + (ph >> 1) - P, v = 2 * s2 + (ph & 1) - P;
                    dst[(int64_t)r * S + s2] = u >= 0 && u < q->H && v >= 0 && v < q->W ? src[(int64_t)u * q->W + v] : 0.0f;
                }
        }
    }
    for (int o = 0; o < q->O; o++)
        for (int ph = 0; ph < 4; ph++)
            for (int ch = 0; ch < q->C; ch++)
                for (int t = 0; t < 4; t++) {
                    const int kh = 2 * (t >> 1) + (ph >> 1), kw = 2 * (t & 1) + (ph & 1);
                    wp[(((int64_t)o * C4 + ph * q->C + ch) * 2 + (t >> 1)) * 2 + (t & 1)] =
                        kh < 3 && kw < 3 ? w[(((int64_t)o * q->C + ch) * 3 + kh) * 3 + kw] : 0.0f;
                }
    const ConvGeom g = {.N = q->N, .C = C4, .H = R, .W = S, .O = q->O, .KH = 2, .KW = 2, .SH = 1, .SW = 1, .OH = q->OH,
                        .OW = q->OW};
    cpu_conv_direct_fwd(c, &g, xp, wp, b, y);
}

void cpu_conv2d_fwd(BackendCtx *c, const ConvGeom *q, const float *x, const float *w, const float *b, float *y)
{
    if (cpu_conv_direct_suits(q)) {
        cpu_conv_direct_fwd(c, q, x, w, b, y);
        return;
    }
    if (conv_s2_suits(q)) {
        const ConvGeom g = {.N = q->N, .C = 4 * q->C, .H = q->OH + 1, .W = q->OW + 1, .O = q->O, .KH = 2, .KW = 2,
                            .SH = 1, .SW = 1, .OH = q->OH, .OW = q->OW};
        if (cpu_conv_direct_suits(&g)) {
            conv_fwd_s2_phases(c, q, x, w, b, y);
            return;
        }
    }
    ConvPlan p = conv_plan(q);
    size_t colf = (size_t)(p.ckk * p.g * p.ohw), outf = (size_t)((int64_t)q->O * p.g * p.ohw);
    if (c->threads > 1 && p.ngroups >= c->threads) {
        for (int t = 0; t < c->threads; t++) {
            cpu_thread_scratch(c, t, 0, colf);
            cpu_thread_scratch(c, t, 1, outf);
        }
#pragma omp parallel for schedule(static) num_threads(c->threads)
        for (int grp = 0; grp < p.ngroups; grp++) {
            int tid = omp_get_thread_num();
            int64_t n0 = (int64_t)grp * p.g;
            conv_fwd_group(c, q, &p, x + n0 * p.img_in, w, b, y + n0 * p.img_out, group_size(q, &p, grp),
                           c->tbuf[tid][0], c->tbuf[tid][1], 0);
        }
    } else {
        float *colbuf = cpu_thread_scratch(c, 0, 0, colf), *outbuf = cpu_thread_scratch(c, 0, 1, outf);
        for (int grp = 0; grp < p.ngroups; grp++) {
            int64_t n0 = (int64_t)grp * p.g;
            conv_fwd_group(c, q, &p, x + n0 * p.img_in, w, b, y + n0 * p.img_out, group_size(q, &p, grp), colbuf,
                           outbuf, c->threads > 1);
        }
    }
}

void cpu_conv2d_up2_fwd(BackendCtx *c, const ConvGeom *q, const float *x, const float *w, const float *b, float *y)
{
    if (cpu_conv_direct_up2_suits(q)) {
        cpu_conv_direct_up2_fwd(c, q, x, w, b, y);
        return;
    }
    /* other kernels: the upsampled image in scratch, then the convolution */
    float *up = cpu_shared_scratch(c, 3, (size_t)q->N * q->C * q->H * q->W);
    cpu_upsample_fwd(c, q->N, q->C, q->H / 2, q->W / 2, 2, x, up);
    cpu_conv2d_fwd(c, q, up, w, b, y);
}

static void conv_bwd_data_group(BackendCtx *c, const ConvGeom *q, const ConvPlan *p, const float *dy, const float *w, float *dx,
                                int gn, float *colbuf, float *dybuf, int par)
{
    const int64_t cols = gn * p->ohw;
    const float *dyg = dy;
    if (gn > 1) {
        gather_out(p, q->O, dy, gn, dybuf);
        dyg = dybuf;
    }
    if (p->direct && gn == 1) {
        cpu_gemm_run(c, par, 1, 0, (int)p->ckk, (int)cols, q->O, 1.0f, w, (int)p->ckk, dyg, (int)cols, 1.0f, dx,
                        (int)cols);
        return;
    }
    cpu_gemm_run(c, par, 1, 0, (int)p->ckk, (int)cols, q->O, 1.0f, w, (int)p->ckk, dyg, (int)cols, 0.0f, colbuf,
                 (int)cols);
    col2im_add(c, q, p, colbuf, gn, dx, par);
}

void cpu_conv2d_bwd_data(BackendCtx *c, const ConvGeom *q, const float *dy, const float *w, float *dx)
{
    if (cpu_conv_direct_suits(q)) {
        cpu_conv_direct_bwd_data(c, q, dy, w, dx);
        return;
    }
    ConvPlan p = conv_plan(q);
    size_t colf = (size_t)(p.ckk * p.g * p.ohw), outf = (size_t)((int64_t)q->O * p.g * p.ohw);
    if (c->threads > 1 && p.ngroups >= c->threads) {
        for (int t = 0; t < c->threads; t++) {
            cpu_thread_scratch(c, t, 0, colf);
            cpu_thread_scratch(c, t, 1, outf);
        }
#pragma omp parallel for schedule(static) num_threads(c->threads)
        for (int grp = 0; grp < p.ngroups; grp++) {
            int tid = omp_get_thread_num();
            int64_t n0 = (int64_t)grp * p.g;
            conv_bwd_data_group(c, q, &p, dy + n0 * p.img_out, w, dx + n0 * p.img_in, group_size(q, &p, grp),
                                c->tbuf[tid][0], c->tbuf[tid][1], 0);
        }
    } else {
        float *colbuf = cpu_thread_scratch(c, 0, 0, colf), *dybuf = cpu_thread_scratch(c, 0, 1, outf);
        for (int grp = 0; grp < p.ngroups; grp++) {
            int64_t n0 = (int64_t)grp * p.g;
            conv_bwd_data_group(c, q, &p, dy + n0 * p.img_out, w, dx + n0 * p.img_in, group_size(q, &p, grp),
                                colbuf, dybuf, c->threads > 1);
        }
    }
}

/* dw_lane (+)= sum over the lane's groups of dy_g (O, cols) * col_g^T (cols, ckk) */
static void conv_filter_lane(BackendCtx *c, const ConvGeom *q, const ConvPlan *p, const float *dy, const float *x, int g0, int g1,
                             float *dw, int first_beta0, float *colbuf, float *dybuf, int par)
{
    for (int grp = g0; grp < g1; grp++) {
        int gn = group_size(q, p, grp);
        int64_t n0 = (int64_t)grp * p->g;
        const int64_t cols = gn * p->ohw;
        const float *col = x + n0 * p->img_in;
        if (!(p->direct && gn == 1)) {
            im2col(c, q, p, x + n0 * p->img_in, gn, colbuf, par);
            col = colbuf;
        }
        const float *dyg = dy + n0 * p->img_out;
        if (gn > 1) {
            gather_out(p, q->O, dyg, gn, dybuf);
            dyg = dybuf;
        }
        float beta = (first_beta0 && grp == g0) ? 0.0f : 1.0f;
        cpu_gemm_run(c, par, 0, 1, q->O, (int)p->ckk, (int)cols, 1.0f, dyg, (int)cols, col, (int)cols, beta, dw,
                     (int)p->ckk);
    }
}

void cpu_conv2d_bwd_filter(BackendCtx *c, const ConvGeom *q, const float *dy, const float *x, float *dw)
{
    if (cpu_conv_direct_filter_suits(q)) {
        cpu_conv_direct_bwd_filter(c, q, dy, x, dw);
        return;
    }
    ConvPlan p = conv_plan(q);
    size_t colf = (size_t)(p.ckk * p.g * p.ohw), outf = (size_t)((int64_t)q->O * p.g * p.ohw);
    int lanes = p.ngroups < CONV_FILTER_LANES ? p.ngroups : CONV_FILTER_LANES;
    if (lanes == 1) {
        conv_filter_lane(c, q, &p, dy, x, 0, p.ngroups, dw, 0, cpu_thread_scratch(c, 0, 0, colf),
                         cpu_thread_scratch(c, 0, 1, outf), c->threads > 1);
        return;
    }
    const int64_t wsize = (int64_t)q->O * p.ckk;
    float *part = cpu_shared_scratch(c, 0, (size_t)(lanes * wsize));
    if (c->threads > 1 && lanes >= c->threads) {
        for (int t = 0; t < c->threads; t++) {
            cpu_thread_scratch(c, t, 0, colf);
            cpu_thread_scratch(c, t, 1, outf);
        }
#pragma omp parallel for schedule(static) num_threads(c->threads)
        for (int l = 0; l < lanes; l++) {
            int tid = omp_get_thread_num();
            conv_filter_lane(c, q, &p, dy, x, l * p.ngroups / lanes, (l + 1) * p.ngroups / lanes, part + l * wsize, 1,
                             c->tbuf[tid][0], c->tbuf[tid][1], 0);
        }
    } else {
        float *colbuf = cpu_thread_scratch(c, 0, 0, colf), *dybuf = cpu_thread_scratch(c, 0, 1, outf);
        for (int l = 0; l < lanes; l++)
            conv_filter_lane(c, q, &p, dy, x, l * p.ngroups / lanes, (l + 1) * p.ngroups / lanes, part + l * wsize, 1,
                             colbuf, dybuf, c->threads > 1);
    }
    /* the lanes' partial sums, added in lane order */
#pragma omp parallel for schedule(static) num_threads(c->threads) if (wsize > CPU_PAR_MIN)
    for (int64_t k = 0; k < wsize; k++) {
        float s = 0.0f;
        for (int l = 0; l < lanes; l++) s += part[l * wsize + k];
        dw[k] += s;
    }
}
