/* TinyNeRF as in the OCD authors' code (OCD-SPEC §7): positional encoding of the 3-D point
 * only (F frequencies 2^0..2^(F-1), no pi; 3 + 6F inputs), layer1 (3+6F)->128 (the layer
 * OCD selects), ReLU, layer2 128->128, ReLU, layer3 128->4 (rgb logits, density); S jittered
 * samples per ray between near and far (jitter always on, as the authors'), volume rendering
 * with a last interval of 1e10. */
#ifndef OCD_TINYNERF_H
#define OCD_TINYNERF_H

#include "models/model.h"

typedef struct {
    int freqs;   /* 10 (authors); 6 (the tiny-NeRF tutorial) */
    int samples; /* 32 (authors); 64 (tutorial) */
    float near, far;
    int white;   /* composite over white */
} TinyNerfConfig;

/* forward: x = rays (B, R, 6) [origin, direction] of B views -> colours (B, R, 3). With a tap
 * on any layer: per-sample (per-view) weights (B, out, in); the captured activation is the
 * view's layer output (after ReLU for layer1/2) averaged over all its sample points weighted
 * by the rendering weights, sum(w a) / sum(w): (B, out) (the authors' conditioning for
 * layer1); the captured input is the same weighted mean of the layer's input (B, in) (for
 * layer1, of the positional encoding). */
Model *tinynerf_create(Ctx *c, const TinyNerfConfig *cfg);
const TinyNerfConfig *tinynerf_config(const Model *m);

#endif
