/* NeRF Blender-format scenes: transforms_{train,test}.json read with cJSON (every field
 * checked and named by its path, e.g. "frames[3].transform_matrix", before any image is
 * read), the PNGs they name, and the rays of a view. */
#include "data/data_io.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NERF_PATH_MAX = 4096, NERF_SIDE_MAX = 1 << 14 };
static const float NERF_NEAR = 2.0f, NERF_FAR = 6.0f;

/* Line and column (from 1) of byte `off` in `text`, for JSON syntax errors. */
static void nerf_line_col(const char *text, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int nerf_number(const char *path, const cJSON *obj, const char *field, const char *where, double *out,
                       Status *st)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (!it) return status_fail(st, ERR_FORMAT, "%s: %s%s is missing", path, where, field);
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
        return status_fail(st, ERR_FORMAT, "%s: %s%s is not a finite number", path, where, field);
    *out = it->valuedouble;
    return 0;
}

/* width / height: whole numbers in [1, NERF_SIDE_MAX]. */
static int nerf_side(const char *path, const cJSON *root, const char *field, int *out, Status *st)
{
    double v = 0;
    if (nerf_number(path, root, field, "", &v, st) != 0) return -1;
    if (v != floor(v) || v < 1 || v > NERF_SIDE_MAX)
        return status_fail(st, ERR_FORMAT, "%s: %s is %g, expected a whole number of pixels in 1..%d", path, field, v,
                           NERF_SIDE_MAX);
    *out = (int)v;
    return 0;
}

/* frames[i].transform_matrix: 4 rows of 4 finite numbers, stored row-major. */
static int nerf_pose(const char *path, const cJSON *frame, int i, float pose[16], Status *st)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(frame, "transform_matrix");
    if (!m) return status_fail(st, ERR_FORMAT, "%s: frames[%d].transform_matrix is missing", path, i);
    if (!cJSON_IsArray(m) || cJSON_GetArraySize(m) != 4)
        return status_fail(st, ERR_FORMAT, "%s: frames[%d].transform_matrix is not an array of 4 rows", path, i);
    for (int r = 0; r < 4; r++) {
        const cJSON *row = cJSON_GetArrayItem(m, r);
        if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != 4)
            return status_fail(st, ERR_FORMAT, "%s: frames[%d].transform_matrix[%d] is not an array of 4 numbers",
                               path, i, r);
        for (int c = 0; c < 4; c++) {
            const cJSON *v = cJSON_GetArrayItem(row, c);
            if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
                return status_fail(st, ERR_FORMAT, "%s: frames[%d].transform_matrix[%d][%d] is not a finite number",
                                   path, i, r, c);
            pose[4 * r + c] = (float)v->valuedouble;
        }
    }
    return 0;
}

/* frames[i].file_path: relative to the scene directory, without the ".png". */
static int nerf_image_path(const char *path, const char *scene, const cJSON *frame, int i, char *img,
                           char name[32], Status *st)
{
    const cJSON *fp = cJSON_GetObjectItemCaseSensitive(frame, "file_path");
    if (!fp) return status_fail(st, ERR_FORMAT, "%s: frames[%d].file_path is missing", path, i);
    if (!cJSON_IsString(fp) || !fp->valuestring[0])
        return status_fail(st, ERR_FORMAT, "%s: frames[%d].file_path is not a non-empty string", path, i);
    const char *rel = fp->valuestring;
    if (strncmp(rel, "./", 2) == 0) rel += 2; /* NeRF writes "./train/r_0" */
    const char *base = data_basename(rel);
    if (strlen(base) >= 32 || !base[0])
        return status_fail(st, ERR_FORMAT, "%s: frames[%d].file_path \"%s\": the base name must be 1-31 characters",
                           path, i, fp->valuestring);
    snprintf(name, 32, "%s", base);
    if (snprintf(img, NERF_PATH_MAX, "%s/%s.png", scene, rel) >= NERF_PATH_MAX)
        return status_fail(st, ERR_FORMAT, "%s: frames[%d].file_path makes a path over %d bytes", path, i,
                           NERF_PATH_MAX);
    return 0;
}

/* The JSON's scalars and frame count, then every frame's fields, before any image. */
static int nerf_parse(const char *path, const cJSON *root, ViewSet *v, Status *st)
{
    double focal = 0;
    if (!cJSON_IsObject(root)) return status_fail(st, ERR_FORMAT, "%s: the top level is not an object", path);
    if (nerf_side(path, root, "width", &v->W, st) != 0 || nerf_side(path, root, "height", &v->H, st) != 0 ||
        nerf_number(path, root, "focal", "", &focal, st) != 0)
        return -1;
    if (!(focal > 0)) return status_fail(st, ERR_FORMAT, "%s: focal is %g, expected > 0", path, focal);
    v->focal = (float)focal;
    const cJSON *frames = cJSON_GetObjectItemCaseSensitive(root, "frames");
    if (!frames) return status_fail(st, ERR_FORMAT, "%s: frames is missing", path);
    if (!cJSON_IsArray(frames) || cJSON_GetArraySize(frames) < 1)
        return status_fail(st, ERR_FORMAT, "%s: frames is not a non-empty array", path);
    int n = cJSON_GetArraySize(frames);
    v->poses = data_alloc((size_t)n * 16 * sizeof *v->poses, path, st);
    v->names = v->poses ? data_alloc((size_t)n * sizeof *v->names, path, st) : NULL;
    if (!v->names) return -1;
    int i = 0;
    char img[NERF_PATH_MAX];
    for (const cJSON *fr = frames->child; fr; fr = fr->next, i++) {
        if (!cJSON_IsObject(fr)) return status_fail(st, ERR_FORMAT, "%s: frames[%d] is not an object", path, i);
        /* the path is checked here and built again when the image is read */
        if (nerf_image_path(path, ".", fr, i, img, v->names[i], st) != 0 ||
            nerf_pose(path, fr, i, v->poses + 16 * (size_t)i, st) != 0)
            return -1;
    }
    v->n = n;
    return 0;
}

/* The images of a parsed split, in frame order. */
static int nerf_read_images(const char *path, const char *scene, const cJSON *root, ViewSet *v, Status *st)
{
    size_t per = (size_t)v->H * v->W * 3;
    v->images = data_alloc((size_t)v->n * per * sizeof *v->images, path, st);
    if (!v->images) return -1;
    const cJSON *frames = cJSON_GetObjectItemCaseSensitive(root, "frames");
    char img[NERF_PATH_MAX], name[32];
    int i = 0;
    for (const cJSON *fr = frames->child; fr; fr = fr->next, i++)
        if (nerf_image_path(path, scene, fr, i, img, name, st) != 0 ||
            data_png_read_rgb(img, v->W, v->H, path, v->images + (size_t)i * per, st) != 0)
            return -1;
    return 0;
}

static int nerf_load_split(const char *scene, const char *json_name, ViewSet *v, Status *st)
{
    char path[NERF_PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", scene, json_name) >= (int)sizeof path)
        return status_fail(st, ERR_IO, "%s: the scene path is over %d bytes", scene, NERF_PATH_MAX);
    unsigned char *text = NULL;
    size_t len = 0;
    if (data_read_all(path, &text, &len, st) != 0) return -1;
    cJSON *root = cJSON_ParseWithLength((const char *)text, len);
    int rc = -1;
    if (!root) {
        /* cJSON points at the byte where parsing stopped */
        const char *at = cJSON_GetErrorPtr();
        size_t off = at && at >= (const char *)text && at <= (const char *)text + len ? (size_t)(at - (char *)text)
                                                                                      : len;
        int line, col;
        nerf_line_col((const char *)text, off, &line, &col);
        status_fail(st, ERR_FORMAT, "%s: not valid JSON at line %d, column %d (byte offset %zu)", path, line, col,
                    off);
    } else if (nerf_parse(path, root, v, st) == 0 && nerf_read_images(path, scene, root, v, st) == 0) {
        rc = 0;
    }
    cJSON_Delete(root);
    free(text);
    return rc;
}

int dataset_load_nerf(const char *scene_dir, Dataset *ds, Status *st)
{
    memset(ds, 0, sizeof *ds);
    if (nerf_load_split(scene_dir, "transforms_train.json", &ds->views_train, st) != 0 ||
        nerf_load_split(scene_dir, "transforms_test.json", &ds->views_test, st) != 0) {
        dataset_free(ds);
        return -1;
    }
    ds->task = TASK_NERF;
    /* "nerf-lego" from ".../nerf/lego" or ".../nerf/lego/" */
    char scene[NERF_PATH_MAX];
    snprintf(scene, sizeof scene, "%s", scene_dir);
    for (size_t k = strlen(scene); k > 1 && scene[k - 1] == '/'; k--) scene[k - 1] = 0;
    snprintf(ds->name, sizeof ds->name, "nerf-%.26s", data_basename(scene));
    ds->near = NERF_NEAR;
    ds->far = NERF_FAR;
    return 0;
}

void nerf_rays(const float *pose, int H, int W, float focal, float *origins, float *dirs)
{
    /* pixel (i, j) at (i - W/2, j - H/2) from the optical axis, y flipped because image rows
     * run down while the camera's +y is up (TinyNeRF's get_rays, pixel corners not centres) */
    for (int j = 0; j < H; j++) {
        for (int i = 0; i < W; i++) {
            float d[3] = {((float)i - 0.5f * (float)W) / focal, -((float)j - 0.5f * (float)H) / focal, -1.0f};
            float *o = origins + 3 * ((size_t)j * W + i), *r = dirs + 3 * ((size_t)j * W + i);
            for (size_t a = 0; a < 3; a++) {
                r[a] = pose[4 * a] * d[0] + pose[4 * a + 1] * d[1] + pose[4 * a + 2] * d[2];
                o[a] = pose[4 * a + 3];
            }
        }
    }
}
