/* Max and average pooling and nearest-neighbour upsampling on the CPU, parallel over the
 * (n, c) planes: each plane's gradient is written by one thread only. */
#include "cpu/cpu_internal.h"

#include <string.h>

#include <float.h>

void cpu_maxpool_fwd(BackendCtx *c, const PoolGeom *q, const float *x, float *y, int32_t *argmax)
{
    const int64_t planes = (int64_t)q->N * q->C, ins = (int64_t)q->H * q->W, outs = (int64_t)q->OH * q->OW;
#pragma omp parallel for schedule(static) num_threads(c->threads) if (planes * outs > CPU_PAR_MIN)
    for (int64_t pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * ins;
        for (int oh = 0; oh < q->OH; oh++)
            for (int ow = 0; ow < q->OW; ow++) {
                float best = -FLT_MAX;
                int32_t at = -1;
                for (int kh = 0; kh < q->KH; kh++) {
                    int ih = oh * q->SH - q->PH + kh;
                    if (ih < 0 || ih >= q->H) continue;
                    for (int kw = 0; kw < q->KW; kw++) {
                        int iw = ow * q->SW - q->PW + kw;
                        if (iw < 0 || iw >= q->W) continue;
                        float v = xp[ih * q->W + iw];
                        /* first maximum wins, NaN propagates (as PyTorch) */
                        if (v > best || at < 0 || v != v) {
                            best = v;
                            at = ih * q->W + iw;
                            if (v != v) goto done;
                        }
                    }
                }
            done:
                y[pl * outs + oh * q->OW + ow] = best;
                argmax[pl * outs + oh * q->OW + ow] = at;
            }
    }
}

void cpu_maxpool_bwd(BackendCtx *c, const PoolGeom *q, const float *dy, const int32_t *argmax, float *dx)
{
    const int64_t planes = (int64_t)q->N * q->C, ins = (int64_t)q->H * q->W, outs = (int64_t)q->OH * q->OW;
#pragma omp parallel for schedule(static) num_threads(c->threads) if (planes * outs > CPU_PAR_MIN)
    for (int64_t pl = 0; pl < planes; pl++)
        for (int64_t o = 0; o < outs; o++)
            if (argmax[pl * outs + o] >= 0) dx[pl * ins + argmax[pl * outs + o]] += dy[pl * outs + o];
}

static float pool_divisor(const PoolGeom *q, int oh, int ow)
{
    if (q->count_pad) return (float)(q->KH * q->KW);
    int h0 = oh * q->SH - q->PH, w0 = ow * q->SW - q->PW;
    int h1 = h0 + q->KH < q->H ? h0 + q->KH : q->H, w1 = w0 + q->KW < q->W ? w0 + q->KW : q->W;
    if (h0 < 0) h0 = 0;
    if (w0 < 0) w0 = 0;
    return (float)((h1 - h0) * (w1 - w0));
}

void cpu_avgpool_fwd(BackendCtx *c, const PoolGeom *q, const float *x, float *y)
{
    const int64_t planes = (int64_t)q->N * q->C, ins = (int64_t)q->H * q->W, outs = (int64_t)q->OH * q->OW;
#pragma omp parallel for schedule(static) num_threads(c->threads) if (planes * outs > CPU_PAR_MIN)
    for (int64_t pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * ins;
        for (int oh = 0; oh < q->OH; oh++)
            for (int ow = 0; ow < q->OW; ow++) {
                float s = 0.0f;
                for (int kh = 0; kh < q->KH; kh++) {
                    int ih = oh * q->SH - q->PH + kh;
                    if (ih < 0 || ih >= q->H) continue;
                    for (int kw = 0; kw < q->KW; kw++) {
                        int iw = ow * q->SW - q->PW + kw;
                        if (iw >= 0 && iw < q->W) s += xp[ih * q->W + iw];
                    }
                }
                y[pl * outs + oh * q->OW + ow] = s / pool_divisor(q, oh, ow);
            }
    }
}

void cpu_avgpool_bwd(BackendCtx *c, const PoolGeom *q, const float *dy, float *dx)
{
    const int64_t planes = (int64_t)q->N * q->C, ins = (int64_t)q->H * q->W, outs = (int64_t)q->OH * q->OW;
#pragma omp parallel for schedule(static) num_threads(c->threads) if (planes * outs > CPU_PAR_MIN)
    for (int64_t pl = 0; pl < planes; pl++) {
        float *xp = dx + pl * ins;
        for (int oh = 0; oh < q->OH; oh++)
            for (int ow = 0; ow < q->OW; ow++) {
                float g = dy[pl * outs + oh * q->OW + ow] / pool_divisor(q, oh, ow);
                for (int kh = 0; kh < q->KH; kh++) {
                    int ih = oh * q->SH - q->PH + kh;
                    if (ih < 0 || ih >= q->H) continue;
                    for (int kw = 0; kw < q->KW; kw++) {
                        int iw = ow * q->SW - q->PW + kw;
                        if (iw >= 0 && iw < q->W) xp[ih * q->W + iw] += g;
                    }
                }
            }
    }
}

void cpu_upsample_fwd(BackendCtx *c, int N, int C, int H, int W, int f, const float *x, float *y)
{
    const int64_t planes = (int64_t)N * C, OW = (int64_t)W * f, outs = (int64_t)H * f * OW;
#pragma omp parallel for schedule(static) num_threads(c->threads) if (planes * outs > CPU_PAR_MIN)
    for (int64_t pl = 0; pl < planes; pl++)
        for (int64_t oh = 0; oh < (int64_t)H * f; oh++) {
            const float *src = x + pl * H * W + (oh / f) * W;
            float *dst = y + pl * outs + oh * OW;
            if (oh % f) { /* a repeated row: copy the one above */
                memcpy(dst, dst - OW, sizeof(float) * (size_t)OW);
                continue;
            }
            /* no division per element (it was most of this loop's time) */
            if (f == 2)
                for (int64_t w = 0; w < W; w++) dst[2 * w] = dst[2 * w + 1] = src[w];
            else
                for (int64_t w = 0; w < W; w++)
                    for (int a = 0; a < f; a++) dst[w * f + a] = src[w];
        }
}

void cpu_upsample_bwd(BackendCtx *c, int N, int C, int H, int W, int f, const float *dy, float *dx)
{
    const int64_t planes = (int64_t)N * C, OW = (int64_t)W * f, outs = (int64_t)H * f * OW;
#pragma omp parallel for schedule(static) num_threads(c->threads) if (planes * outs > CPU_PAR_MIN)
    for (int64_t pl = 0; pl < planes; pl++)
        for (int h = 0; h < H; h++)
            for (int w = 0; w < W; w++) {
                float s = 0.0f;
                for (int a = 0; a < f; a++)
                    for (int b = 0; b < f; b++) s += dy[pl * outs + ((int64_t)h * f + a) * OW + (int64_t)w * f + b];
                dx[pl * H * W + (int64_t)h * W + w] += s;
            }
}
