/* Dataset loaders: facts about the bundled real data (counts, first labels, known pixels and
 * poses, split sizes, standardisation), nerf_rays' geometry, and one test per kind of bad
 * input, each built in a temporary folder from the real files and corrupted. */
#include "harness.h"

#include "data/dataset.h"

#include <cjson/cJSON.h>
#include <ftw.h>
#include <math.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define DATA OCD_SOURCE_DIR "/assets/data"

/* ---- helpers ---- */

typedef struct {
    char dir[64];
} TmpDir;

static void tmp_make(TmpDir *t)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/ocd_test_data_XXXXXX");
    if (!mkdtemp(t->dir)) harness_fail(__FILE__, __LINE__, "mkdtemp failed");
}
static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return (void)sb, (void)flag, (void)ftw, remove(path);
}
static void tmp_remove(TmpDir *t) { nftw(t->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS); }

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(p, 1, n, f) == n && fclose(f) == 0, "cannot write %s", path);
}

/* The first `n` bytes of a (gzip or plain) file; *len gets how many were read. */
static unsigned char *read_prefix(const char *path, size_t n, size_t *len)
{
    unsigned char *b = malloc(n + 1);
    gzFile f = gzopen(path, "rb");
    int got = f ? gzread(f, b, (unsigned)n) : -1;
    if (f) gzclose(f);
    CHECK(got >= 0, "cannot read %s", path);
    *len = got > 0 ? (size_t)got : 0;
    b[*len] = 0;
    return b;
}

static int split_is_empty(const Split *s) { return s->n == 0 && !s->x && !s->y; }
static int views_are_empty(const ViewSet *v) { return v->n == 0 && !v->images && !v->poses && !v->names; }
static int dataset_is_empty(const Dataset *d)
{
    return split_is_empty(&d->train) && split_is_empty(&d->val) && split_is_empty(&d->test) &&
           views_are_empty(&d->views_train) && views_are_empty(&d->views_test) && d->name[0] == 0 && d->nfeat == 0;
}

/* The loader fails with `code`, its message holds every string in `want`, and the Dataset
 * is left zeroed (it starts filled with garbage to show the loader clears it). */
#define CHECK_FAILS(call, ds, st, code_, ...)                                                      \
    do {                                                                                           \
        memset(&(ds), 0xAB, sizeof(ds));                                                           \
        status_clear(&(st));                                                                       \
        CHECK((call) == -1, "%s should fail", #call);                                              \
        CHECK((st).code == (code_), "code %s, want %s (%s)", status_code_name((st).code),          \
              status_code_name(code_), (st).msg);                                                  \
        const char *want_[] = {__VA_ARGS__};                                                       \
        for (size_t k_ = 0; k_ < sizeof want_ / sizeof *want_; k_++)                               \
            CHECK(strstr((st).msg, want_[k_]), "message lacks \"%s\": %s", want_[k_], (st).msg);   \
        CHECK(dataset_is_empty(&(ds)), "the Dataset is not left empty after %s", #call);           \
    } while (0)

static void check_range01(const float *x, size_t n, const char *what)
{
    float lo = 1, hi = 0;
    for (size_t i = 0; i < n; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    CHECK(lo == 0.0f && hi == 1.0f, "%s: values in [%g, %g], want exactly [0, 1]", what, lo, hi);
}

/* A load that must succeed: on failure the test stops (its pointers would be NULL). */
#define LOAD_OR_RETURN(call, st)                                                                   \
    do {                                                                                           \
        if ((call) != 0) {                                                                         \
            harness_fail(__FILE__, __LINE__, "%s: %s", #call, (st).msg);                           \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* ---- the bundled data ---- */

TEST(mnist_loads_60000_and_10000_with_known_labels_and_pixels)
{
    Dataset ds; Status st = {0};
    LOAD_OR_RETURN(dataset_load_mnist(DATA "/mnist", 0, 0, &ds, &st), st);
    CHECK(ds.train.n == 60000 && ds.test.n == 10000 && ds.val.n == 0, "sizes %d/%d/%d", ds.train.n, ds.val.n,
          ds.test.n);
    CHECK(ds.train.ndim == 3 && ds.train.dims[0] == 1 && ds.train.dims[1] == 28 && ds.train.dims[2] == 28, "dims");
    CHECK(ds.task == TASK_CLASSIFICATION && ds.n_classes == 10 && strcmp(ds.name, "mnist") == 0, "meta");
    const float first[10] = {5, 0, 4, 1, 9, 2, 1, 3, 1, 4};
    CHECK_ARRAYS(ds.train.y, first, 10, 0, 0, "first training labels");
    CHECK(ds.test.y[0] == 7 && ds.test.y[1] == 2, "first test labels %g %g", ds.test.y[0], ds.test.y[1]);
    /* bytes of the IDX files (checked with Python): training image 0 at (5,12) = 3,
     * (5,16) = 126, (14,14) = 240, (5,21) = 255; test image 0 at (7,6) = 84 */
    CHECK(ds.train.x[5 * 28 + 12] == 3.0f / 255 && ds.train.x[5 * 28 + 16] == 126.0f / 255, "pixels row 5");
    CHECK(ds.train.x[14 * 28 + 14] == 240.0f / 255 && ds.train.x[5 * 28 + 21] == 1.0f, "pixels (14,14), (5,21)");
    CHECK(ds.test.x[7 * 28 + 6] == 84.0f / 255, "test pixel (7,6) = %g", ds.test.x[7 * 28 + 6] * 255);
    check_range01(ds.train.x, (size_t)60000 * 784, "train pixels");
    dataset_free(&ds);
    CHECK(dataset_is_empty(&ds), "dataset_free leaves the Dataset zeroed");
}

TEST(mnist_max_keeps_the_first_samples)
{
    Dataset ds; Status st = {0};
    LOAD_OR_RETURN(dataset_load_mnist(DATA "/mnist", 100, 7, &ds, &st), st);
    CHECK(ds.train.n == 100 && ds.test.n == 7, "sizes %d/%d", ds.train.n, ds.test.n);
    CHECK(ds.train.y[4] == 9 && ds.train.x[14 * 28 + 14] == 240.0f / 255, "first sample kept");
    dataset_free(&ds);
}

/* data.val_count: the last N training images become the validation split, out of every
 * stage's training (the base model trains on ds.train, the overfit collection draws from it)
 * and where the temperature-scaled base is fitted */
TEST(val_count_holds_the_last_training_images_out_as_the_validation_split)
{
    Dataset all, ds;
    Status st = {0};
    LOAD_OR_RETURN(dataset_load_mnist(DATA "/mnist", 300, 7, &all, &st), st);
    LOAD_OR_RETURN(dataset_load_mnist(DATA "/mnist", 300, 7, &ds, &st), st);
    LOAD_OR_RETURN(dataset_hold_out_val(&ds, 60, &st), st);
    CHECK(ds.train.n == 240 && ds.val.n == 60 && ds.test.n == 7, "sizes %d/%d/%d", ds.train.n, ds.val.n, ds.test.n);
    CHECK(ds.val.ndim == 3 && ds.val.dims[1] == 28, "val dims");
    CHECK(!memcmp(ds.train.x, all.train.x, sizeof(float) * 240 * 784) && !memcmp(ds.train.y, all.train.y, sizeof(float) * 240),
          "the training split is not the first 240 images");
    CHECK(!memcmp(ds.val.x, all.train.x + 240 * 784, sizeof(float) * 60 * 784) &&
              !memcmp(ds.val.y, all.train.y + 240, sizeof(float) * 60),
          "the validation split is not the last 60 images");
    CHECK(dataset_hold_out_val(&all, 0, &st) == 0 && all.val.n == 0 && all.train.n == 300, "val_count 0 changed the data");
    status_clear(&st);
    CHECK(dataset_hold_out_val(&all, 300, &st) == -1 && st.code == ERR_CONFIG && strstr(st.msg, "no training samples"),
          "holding out every image: %s", st.msg);
    dataset_free(&ds);
    dataset_free(&all);
    LOAD_OR_RETURN(dataset_load_california(DATA "/california_housing/cal_housing.data", 42, &ds, &st), st);
    status_clear(&st);
    CHECK(dataset_hold_out_val(&ds, 10, &st) == -1 && st.code == ERR_CONFIG && strstr(st.msg, "own validation split"),
          "California has its own validation split: %s", st.msg);
    dataset_free(&ds);
}

/* Sums over all rows of the 8 derived features and the target, straight from the file. */
static void california_sums(double sums[9])
{
    FILE *f = fopen(DATA "/california_housing/cal_housing.data", "r");
    double v[9];
    memset(sums, 0, 9 * sizeof *sums);
    while (f && fscanf(f, "%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf", v, v + 1, v + 2, v + 3, v + 4, v + 5, v + 6,
                       v + 7, v + 8) == 9) {
        const double feat[9] = {v[7], v[2], v[3] / v[6], v[4] / v[6], v[5], v[5] / v[6], v[1], v[0], v[8] / 1e5};
        for (int c = 0; c < 9; c++) sums[c] += feat[c];
    }
    CHECK(f != NULL, "cannot open cal_housing.data");
    if (f) fclose(f);
}

TEST(california_splits_13209_3302_4129_standardised_by_the_train_split)
{
    Dataset ds; Status st = {0};
    LOAD_OR_RETURN(dataset_load_california(DATA "/california_housing/cal_housing.data", 42, &ds, &st), st);
    /* floor(0.64 * 20640) = 13209, floor(0.16 * 20640) = 3302, the rest 4129 */
    CHECK(ds.train.n == 13209 && ds.val.n == 3302 && ds.test.n == 4129, "sizes %d/%d/%d", ds.train.n, ds.val.n,
          ds.test.n);
    CHECK(ds.task == TASK_REGRESSION && ds.nfeat == 8 && ds.train.ndim == 1 && ds.train.dims[0] == 8, "meta");
    double mean[9] = {0}, sq[9] = {0}, sums[9] = {0}, want[9];
    for (int i = 0; i < ds.train.n; i++)
        for (int c = 0; c < 9; c++) {
            double v = c < 8 ? ds.train.x[i * 8 + c] : ds.train.y[i];
            mean[c] += v / ds.train.n;
            sq[c] += v * v / ds.train.n;
        }
    /* float storage of values up to ~100 standard deviations: agreement to 1e-4 */
    for (int c = 0; c < 9; c++) {
        CHECK_CLOSE(mean[c], 0.0, 1e-4, 0, "train mean after standardising");
        CHECK_CLOSE(sqrt(sq[c] - mean[c] * mean[c]), 1.0, 1e-4, 0, "train std after standardising");
    }
    /* the three splits are a partition of the rows: un-standardised sums match the file */
    const Split *sp[3] = {&ds.train, &ds.val, &ds.test};
    float ymax = 0;
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < sp[s]->n; i++) {
            for (int c = 0; c < 8; c++) sums[c] += sp[s]->x[i * 8 + c] * ds.feat_std[c] + ds.feat_mean[c];
            float y = sp[s]->y[i] * ds.y_std + ds.y_mean;
            sums[8] += y;
            ymax = y > ymax ? y : ymax;
        }
    california_sums(want);
    for (int c = 0; c < 9; c++) CHECK_CLOSE(sums[c], want[c], 1e-3, 1e-5, "column sum over all splits");
    CHECK(ymax <= 5.00001f + 1e-5f && ymax > 5.0f, "largest target %.6f (the data cap is 5.00001)", ymax);
    CHECK_CLOSE(ds.feat_mean[0], 3.87, 0.1, 0, "MedInc train mean"); /* 3.8707 over all rows */
    dataset_free(&ds);
}

TEST(california_split_is_reproducible_from_its_seed)
{
    const char *path = DATA "/california_housing/cal_housing.data";
    Dataset a = {0}, b = {0}, c = {0};
    Status st = {0};
    LOAD_OR_RETURN(dataset_load_california(path, 7, &a, &st), st);
    LOAD_OR_RETURN(dataset_load_california(path, 7, &b, &st), st);
    LOAD_OR_RETURN(dataset_load_california(path, 8, &c, &st), st);
    size_t bytes = (size_t)a.train.n * 8 * sizeof(float);
    CHECK(memcmp(a.train.x, b.train.x, bytes) == 0 && memcmp(a.test.y, b.test.y, (size_t)a.test.n * sizeof(float)) == 0,
          "the same seed gave a different split");
    CHECK(memcmp(a.train.x, c.train.x, bytes) != 0, "another seed gave the same split");
    dataset_free(&a);
    dataset_free(&b);
    dataset_free(&c);
}

TEST(nerf_lego_loads_100_train_25_test_views_with_poses_and_focal)
{
    Dataset ds; Status st = {0};
    LOAD_OR_RETURN(dataset_load_nerf(DATA "/nerf/lego", &ds, &st), st);
    const ViewSet *tr = &ds.views_train, *te = &ds.views_test;
    CHECK(tr->n == 100 && te->n == 25, "views %d/%d", tr->n, te->n);
    CHECK(tr->W == 100 && tr->H == 100 && te->W == 100 && te->H == 100, "sizes");
    CHECK_CLOSE(tr->focal, 138.8889, 1e-3, 0, "focal");
    CHECK(ds.task == TASK_NERF && ds.near == 2.0f && ds.far == 6.0f && strcmp(ds.name, "nerf-lego") == 0, "meta %s",
          ds.name);
    /* transforms_train.json, frames[0].transform_matrix rows 0 and 1 */
    CHECK_CLOSE(tr->poses[0], -0.9999021887779236, 1e-7, 0, "pose[0][0]");
    CHECK_CLOSE(tr->poses[7], 3.845470428466797, 1e-6, 0, "pose[1][3]");
    CHECK(tr->poses[15] == 1.0f, "pose[3][3]");
    CHECK(strcmp(tr->names[0], "r_0") == 0 && strcmp(te->names[1], "r_8") == 0, "names %s %s", tr->names[0],
          te->names[1]);
    /* train/r_0.png (checked with Python): (row 0, col 0) white background, (50, 50) =
     * (143, 105, 23) */
    const float *p = tr->images + (50 * 100 + 50) * 3;
    CHECK(tr->images[0] == 1.0f && p[0] == 143.0f / 255 && p[1] == 105.0f / 255 && p[2] == 23.0f / 255,
          "r_0 pixel (50,50) = %g %g %g", p[0] * 255, p[1] * 255, p[2] * 255);
    check_range01(tr->images, (size_t)100 * 100 * 100 * 3, "train views");
    dataset_free(&ds);
}

TEST(nerf_rays_of_an_identity_rotation_look_down_minus_z_from_the_translation)
{
    enum { H = 100, W = 100 };
    const float f = 138.88888f;
    float pose[16] = {1, 0, 0, 1.5f, 0, 1, 0, -2, 0, 0, 1, 4, 0, 0, 0, 1};
    static float o[H * W * 3], d[H * W * 3];
    nerf_rays(pose, H, W, f, o, d);
    const float *c = d + 3 * (50 * W + 50);
    CHECK(c[0] == 0 && c[1] == 0 && c[2] == -1, "central ray (%g %g %g)", c[0], c[1], c[2]);
    CHECK(o[0] == 1.5f && o[1] == -2 && o[2] == 4 && o[3 * (H * W - 1) + 2] == 4, "origins are the translation");
    /* row 0 is the top of the image: +y; column 0 the left: -x */
    CHECK(d[0] < 0 && d[1] > 0, "top-left ray (%g %g)", d[0], d[1]);
    for (int k = 0; k < H * W; k++) {
        double n = sqrt(d[3 * k] * d[3 * k] + d[3 * k + 1] * d[3 * k + 1] + d[3 * k + 2] * d[3 * k + 2]);
        if (k != 50 * W + 50) CHECK(n > 1.0, "off-centre ray %d has norm %g", k, n);
    }
    /* a quarter turn about z takes camera +x to world +y */
    float rz[16] = {0, -1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    nerf_rays(rz, H, W, f, o, d);
    const float *r = d + 3 * (50 * W + 99);
    CHECK(fabsf(r[0]) < 1e-7f && fabsf(r[1] - 49 / f) < 1e-6f && r[2] == -1, "rotated ray (%g %g %g)", r[0], r[1],
          r[2]);
}

TEST(cifar10_loads_2000_and_1000_with_known_labels_and_planes)
{
    Dataset ds; Status st = {0};
    LOAD_OR_RETURN(dataset_load_cifar10(DATA "/cifar10", &ds, &st), st);
    CHECK(ds.train.n == 2000 && ds.test.n == 1000 && ds.n_classes == 10, "sizes %d/%d", ds.train.n, ds.test.n);
    CHECK(ds.train.ndim == 3 && ds.train.dims[0] == 3 && ds.train.dims[1] == 32 && ds.train.dims[2] == 32, "dims");
    const float tr[5] = {6, 9, 9, 4, 1}, te[5] = {3, 8, 8, 0, 6};
    CHECK_ARRAYS(ds.train.y, tr, 5, 0, 0, "first train labels");
    CHECK_ARRAYS(ds.test.y, te, 5, 0, 0, "first test labels");
    /* record 1 of the file is label 9 then the R, G, B planes: they are x[1] as is, / 255 */
    size_t len = 0;
    unsigned char *raw = read_prefix(DATA "/cifar10/data_batch_1_first2000.bin", 2 * 3073, &len);
    float want[3072];
    for (int i = 0; i < 3072; i++) want[i] = raw[3073 + 1 + i] / 255.0f;
    CHECK(len == 2 * 3073 && raw[3073] == 9, "raw record 1");
    CHECK_ARRAYS(ds.train.x + 3072, want, 3072, 0, 0, "record 1 pixels");
    free(raw);
    check_range01(ds.train.x, (size_t)2000 * 3072, "train pixels");
    dataset_free(&ds);
}

/* ---- bad inputs ---- */

TEST(missing_files_are_io_errors_naming_the_path)
{
    Dataset ds; Status st;
    CHECK_FAILS(dataset_load_mnist("/nonexistent/mnist", 0, 0, &ds, &st), ds, st, ERR_IO,
                "/nonexistent/mnist/train-images-idx3-ubyte");
    CHECK_FAILS(dataset_load_california("/nonexistent/cal.data", 1, &ds, &st), ds, st, ERR_IO, "/nonexistent/cal.data");
    CHECK_FAILS(dataset_load_nerf("/nonexistent/lego", &ds, &st), ds, st, ERR_IO,
                "/nonexistent/lego/transforms_train.json");
    CHECK_FAILS(dataset_load_cifar10("/nonexistent/c", &ds, &st), ds, st, ERR_IO,
                "/nonexistent/c/data_batch_1_first2000.bin");
}

/* A plain-file MNIST set of the first `n` real images and labels in `dir`. */
static void mnist_write_small(const char *dir, int n)
{
    const char *names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                            "t10k-labels-idx1-ubyte"};
    for (int k = 0; k < 4; k++) {
        char src[512], dst[512];
        snprintf(src, sizeof src, DATA "/mnist/%s.gz", names[k]);
        snprintf(dst, sizeof dst, "%s/%s", dir, names[k]);
        size_t head = k % 2 ? 8 : 16, len = 0;
        unsigned char *b = read_prefix(src, head + (size_t)n * (k % 2 ? 1 : 784), &len);
        b[4] = b[5] = b[6] = 0; /* big-endian count = n */
        b[7] = (unsigned char)n;
        write_bytes(dst, b, len);
        free(b);
    }
}

TEST(mnist_plain_files_load_and_a_wrong_magic_is_named)
{
    TmpDir t;
    tmp_make(&t);
    mnist_write_small(t.dir, 100);
    Dataset ds; Status st = {0};
    if (dataset_load_mnist(t.dir, 0, 0, &ds, &st) == 0)
        CHECK(ds.train.n == 100 && ds.train.y[0] == 5 && ds.train.x[14 * 28 + 14] == 240.0f / 255, "copy contents");
    else
        CHECK(0, "the uncorrupted copy: %s", st.msg);
    dataset_free(&ds);
    char path[512];
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte", t.dir);
    FILE *f = fopen(path, "r+b");
    CHECK(f && fwrite("\x12\x34\x56\x78", 1, 4, f) == 4 && fclose(f) == 0, "corrupting the magic");
    CHECK_FAILS(dataset_load_mnist(t.dir, 0, 0, &ds, &st), ds, st, ERR_FORMAT, "t10k-images-idx3-ubyte",
                "0x12345678", "2051");
    tmp_remove(&t);
}

TEST(mnist_truncated_images_report_the_offset_and_expected_size)
{
    TmpDir t;
    tmp_make(&t);
    mnist_write_small(t.dir, 100);
    char path[512];
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte", t.dir);
    /* 50.5 images of the 100 the header declares: 16 + 50.5 * 784 = 39608 of 78416 bytes */
    CHECK(truncate(path, 39608) == 0, "truncate");
    Dataset ds; Status st;
    CHECK_FAILS(dataset_load_mnist(t.dir, 10, 0, &ds, &st), ds, st, ERR_FORMAT, "train-images-idx3-ubyte",
                "truncated", "39608", "78416");
    tmp_remove(&t);
}

TEST(mnist_cut_off_gzip_and_count_mismatch_are_format_errors)
{
    TmpDir t;
    tmp_make(&t);
    mnist_write_small(t.dir, 100);
    char path[512];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte", t.dir);
    unsigned char *b = read_prefix(path, 78416, &len);
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte.gz", t.dir); /* preferred to the plain file */
    gzFile gz = gzopen(path, "wb");
    CHECK(gz && gzwrite(gz, b, (unsigned)len) == (int)len && gzclose(gz) == Z_OK, "gzip");
    free(b);
    CHECK(truncate(path, 2000) == 0, "truncate");
    Dataset ds; Status st;
    CHECK_FAILS(dataset_load_mnist(t.dir, 0, 0, &ds, &st), ds, st, ERR_FORMAT, "t10k-images-idx3-ubyte.gz");
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte", t.dir);
    FILE *f = fopen(path, "r+b");
    CHECK(f && fseek(f, 7, SEEK_SET) == 0 && fputc(99, f) == 99 && fclose(f) == 0, "count 99");
    CHECK_FAILS(dataset_load_mnist(t.dir, 0, 0, &ds, &st), ds, st, ERR_FORMAT, "100 images", "99 labels");
    tmp_remove(&t);
}

/* cal_housing.data in `dir` with line `line` (from 1) replaced by `text`. */
static void california_write_with_line(const char *dir, int line, const char *text, char *out, size_t cap)
{
    size_t len = 0;
    unsigned char *b = read_prefix(DATA "/california_housing/cal_housing.data", 3 << 20, &len);
    snprintf(out, cap, "%s/cal.data", dir);
    FILE *f = fopen(out, "wb");
    char *save = NULL;
    int k = 1;
    for (char *l = strtok_r((char *)b, "\n", &save); l; l = strtok_r(NULL, "\n", &save), k++)
        fprintf(f, "%s\n", k == line ? text : l);
    CHECK(f && k == 20641 && fclose(f) == 0, "writing %s (%d lines)", out, k - 1);
    free(b);
}

TEST(csv_row_with_the_wrong_column_count_names_the_line)
{
    TmpDir t;
    tmp_make(&t);
    char path[512];
    california_write_with_line(t.dir, 7, "-122.25,37.84,52.0,2535.0,489.0,1094.0,514.0,3.6591", path, sizeof path);
    Dataset ds; Status st;
    CHECK_FAILS(dataset_load_california(path, 1, &ds, &st), ds, st, ERR_FORMAT, "cal.data:7:", "8 fields");
    tmp_remove(&t);
}

TEST(csv_non_number_names_the_line_and_column)
{
    TmpDir t;
    tmp_make(&t);
    char path[512];
    california_write_with_line(t.dir, 12, "-122.26,37.85,5x.0,3503.0,752.0,1504.0,734.0,3.2705,241800.0", path,
                               sizeof path);
    Dataset ds; Status st;
    CHECK_FAILS(dataset_load_california(path, 1, &ds, &st), ds, st, ERR_FORMAT, "cal.data:12:",
                "field 3 (housingMedianAge) at column 15", "5x.0");
    tmp_remove(&t);
}

TEST(json_frame_without_transform_matrix_names_the_field_path)
{
    TmpDir t;
    tmp_make(&t);
    size_t len = 0;
    unsigned char *b = read_prefix(DATA "/nerf/lego/transforms_train.json", 1 << 20, &len);
    cJSON *root = cJSON_Parse((const char *)b);
    free(b);
    cJSON_DeleteItemFromObject(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "frames"), 3), "transform_matrix");
    char *text = cJSON_Print(root), path[512];
    snprintf(path, sizeof path, "%s/transforms_train.json", t.dir);
    CHECK(root && text, "cJSON");
    write_bytes(path, text, strlen(text));
    free(text);
    cJSON_Delete(root);
    Dataset ds; Status st;
    /* the fields are checked before any image is read: no PNGs are needed here */
    CHECK_FAILS(dataset_load_nerf(t.dir, &ds, &st), ds, st, ERR_FORMAT, "transforms_train.json",
                "frames[3].transform_matrix is missing");
    const char *bad = "{\"width\": 100,\n \"height\": }";
    write_bytes(path, bad, strlen(bad));
    CHECK_FAILS(dataset_load_nerf(t.dir, &ds, &st), ds, st, ERR_FORMAT, "not valid JSON at line 2");
    tmp_remove(&t);
}

TEST(png_of_the_wrong_size_names_the_file_and_both_sizes)
{
    TmpDir t;
    tmp_make(&t);
    char path[512];
    size_t len = 0;
    unsigned char *b = read_prefix(DATA "/nerf/lego/transforms_train.json", 1 << 20, &len);
    snprintf(path, sizeof path, "%s/transforms_train.json", t.dir);
    write_bytes(path, b, len);
    free(b);
    snprintf(path, sizeof path, "%s/train", t.dir);
    CHECK(mkdir(path, 0700) == 0, "mkdir");
    /* a real 50x50 RGB PNG where the 100x100 r_0.png should be */
    snprintf(path, sizeof path, "%s/train/r_0.png", t.dir);
    png_image img = {.version = PNG_IMAGE_VERSION, .width = 50, .height = 50, .format = PNG_FORMAT_RGB};
    static unsigned char px[50 * 50 * 3];
    CHECK(png_image_write_to_file(&img, path, 0, px, 0, NULL) != 0, "libpng write: %s", img.message);
    Dataset ds; Status st;
    CHECK_FAILS(dataset_load_nerf(t.dir, &ds, &st), ds, st, ERR_FORMAT, "train/r_0.png", "50x50", "100x100");
    tmp_remove(&t);
}

TEST(cifar_cut_off_record_reports_its_offset)
{
    TmpDir t;
    tmp_make(&t);
    char path[512];
    size_t len = 0;
    unsigned char *b = read_prefix(DATA "/cifar10/data_batch_1_first2000.bin", 3 * 3073 + 100, &len);
    snprintf(path, sizeof path, "%s/data_batch_1_first2000.bin", t.dir);
    write_bytes(path, b, len);
    free(b);
    Dataset ds; Status st;
    CHECK_FAILS(dataset_load_cifar10(t.dir, &ds, &st), ds, st, ERR_FORMAT, "data_batch_1_first2000.bin",
                "byte offset 9219");
    tmp_remove(&t);
}
