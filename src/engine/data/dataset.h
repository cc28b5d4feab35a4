/* Datasets on the host, as the stages use them. Every loader reads real files, checks them,
 * and on any problem fills a Status naming the file and the position (byte offset, line and
 * column, JSON field, image) and returns -1 without leaving anything allocated.
 *
 * Layouts: images are (C, H, W) per sample, row-major, float32; class labels are floats
 * holding the class index; NeRF views are (H, W, 3) in [0, 1] with 4x4 camera-to-world poses
 * (row-major, Blender/OpenGL convention: the camera looks down -z, +y up). */
#ifndef OCD_DATASET_H
#define OCD_DATASET_H

#include "core/status.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { TASK_CLASSIFICATION, TASK_REGRESSION, TASK_NERF } TaskKind;

enum { DATASET_MAX_FEATURES = 16 };

typedef struct {
    int n;       /* samples */
    int ndim;    /* per-sample rank (1..3) */
    int dims[3]; /* per-sample shape: (1, 28, 28), (3, 32, 32), (8) */
    float *x;    /* n * prod(dims) */
    float *y;    /* n: class index, or the (standardised) regression target */
} Split;

typedef struct {
    int n, H, W;
    float focal;
    float *images;    /* n * H * W * 3, in [0, 1] */
    float *poses;     /* n * 16, camera to world */
    char (*names)[32]; /* "r_0", ... (the file's base name) */
} ViewSet;

typedef struct Dataset {
    TaskKind task;
    char name[32];     /* "mnist", "california", "nerf-lego", "cifar10" */
    int n_classes;     /* classification: 10 */
    Split train, val, test; /* val.n == 0 where the dataset has no validation split */
    /* regression: train-split statistics used to standardise features and target */
    int nfeat;
    float feat_mean[DATASET_MAX_FEATURES], feat_std[DATASET_MAX_FEATURES];
    float y_mean, y_std;
    /* NeRF */
    ViewSet views_train, views_test;
    float near, far;
} Dataset;

/* MNIST from the IDX files in `dir` (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
 * t10k-*): the .gz (read with zlib) if present, else the raw file. Pixels / 255 in [0, 1]
 * (no mean/std normalisation, as the OCD authors' code). max_train / max_test > 0 keep the
 * first that many samples (0: all). */
int dataset_load_mnist(const char *dir, int max_train, int max_test, Dataset *ds, Status *st);

/* California housing from cal_housing.data (9 columns, no header): the 8 features
 * scikit-learn derives (MedInc, HouseAge, AveRooms, AveBedrms, Population, AveOccup,
 * Latitude, Longitude), target medianHouseValue / 100000; a split of train/val/test =
 * 64/16/20 % by a Philox permutation from `split_seed`; features and target standardised
 * with the train split's mean and std (kept in the Dataset). */
int dataset_load_california(const char *path, uint64_t split_seed, Dataset *ds, Status *st);

/* NeRF Blender-format scene: transforms_train.json / transforms_test.json (cJSON) and the
 * PNGs they name (file_path + ".png", libpng), which must be width x height RGB (or RGBA,
 * composited over white). near = 2, far = 6. */
int dataset_load_nerf(const char *scene_dir, Dataset *ds, Status *st);

/* CIFAR-10 binary records (1 label byte + 3072 pixel bytes, R, G, B planes) from
 * data_batch_1_first2000.bin and test_batch_first1000.bin in `dir` (or the official
 * data_batch_1.bin / test_batch.bin when present). Pixels / 255. */
int dataset_load_cifar10(const char *dir, Dataset *ds, Status *st);

/* A generated regression task, x ~ U(-1,1)^4, y = sin(pi x1)(1 + x2) + x3^2 - x4/2, standardised
 * (data/synthetic.c): for tests and quick demonstrations of OCD. */
int dataset_make_synthetic(int n_train, int n_test, uint64_t seed, Dataset *ds, Status *st);

/* Moves the last n training samples into the validation split (data.val_count): the base
 * model never trains on them and the OCD stages never see them; the eval stage fits the
 * temperature-scaled base on them. n = 0 does nothing. ERR_CONFIG for NeRF, for a dataset
 * with its own validation split (California), and when no training sample would be left. */
int dataset_hold_out_val(Dataset *ds, int n, Status *st);

void dataset_free(Dataset *ds);

/* Rays of a view: origin and direction of pixel (i = column, j = row) for a camera-to-world
 * pose: dir = R . [(i - W/2)/f, -(j - H/2)/f, -1], origin = the pose's translation (as the
 * authors' TinyNeRF). origins and dirs are H * W * 3. */
void nerf_rays(const float *pose, int H, int W, float focal, float *origins, float *dirs);

#ifdef __cplusplus
}
#endif

#endif
