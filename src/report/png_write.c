/* The libpng writer behind every figure. libpng reports errors by longjmp: the handler keeps
 * the message, and everything the writer owns lives in a PngWrite held by the caller of the
 * setjmp frame, so the cleanup after a longjmp sees it (as data/png.c does for reading). */
#include "png_write.h"

#include "atomic_file.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const char *path;
    FILE *f;
    png_structp png;
    png_infop info;
    png_bytep *rows;
    char err[256];
} PngWrite;

static void png_on_error(png_structp png, png_const_charp msg)
{
    PngWrite *w = png_get_error_ptr(png);
    snprintf(w->err, sizeof w->err, "%s", msg);
    png_longjmp(png, 1);
}

/* warnings do not stop a write and the engine never prints: dropped */
static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* The setjmp frame: after a longjmp only `w`, `st` and the arguments are used, and none of
 * them changes in between. */
static int png_encode(PngWrite *w, const uint8_t *px, int width, int height, int channels, Status *st)
{
    if (setjmp(png_jmpbuf(w->png))) return status_fail(st, ERR_IO, "%s: libpng: %s", w->path, w->err);
    png_init_io(w->png, w->f);
    png_set_IHDR(w->png, w->info, (png_uint_32)width, (png_uint_32)height, 8,
                 channels == 4 ? PNG_COLOR_TYPE_RGBA : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(w->png, 9);
    png_write_info(w->png, w->info);
    for (int y = 0; y < height; y++)
        w->rows[y] = (png_bytep)(px + (size_t)y * width * channels);
    png_write_image(w->png, w->rows);
    png_write_end(w->png, NULL);
    return 0;
}

int png_write_rgb8(const char *path, const uint8_t *px, int width, int height, int channels, Status *st)
{
    if (width <= 0 || height <= 0 || width > 1 << 15 || height > 1 << 15 || (channels != 3 && channels != 4))
        return status_fail(st, ERR_CONFIG, "%s: cannot write a %dx%d image with %d channels", path, width, height,
                           channels);
    PngWrite w = {.path = path};
    w.rows = malloc((size_t)height * sizeof *w.rows);
    if (!w.rows) return status_fail(st, ERR_IO, "%s: out of memory for %d rows", path, height);
    AtomicFile af;
    if (atomic_begin(&af, path, "wb", st)) {
        free(w.rows);
        return -1;
    }
    w.f = af.f;
    int rc = -1;
    w.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w, png_on_error, png_on_warning);
    w.info = w.png ? png_create_info_struct(w.png) : NULL;
    if (!w.png || !w.info)
        status_fail(st, ERR_IO, "%s: png_create_%s_struct failed", path, w.png ? "info" : "write");
    else
        rc = png_encode(&w, px, width, height, channels, st);
    png_destroy_write_struct(w.png ? &w.png : NULL, w.info ? &w.info : NULL);
    free(w.rows);
    const int ok = rc == 0;
    rc = atomic_end(&af, ok, st);
    return ok ? rc : -1;
}

int png_write_argb32(const char *path, const unsigned char *data, int width, int height, int stride, Status *st)
{
    if (width <= 0 || height <= 0 || stride < 4 * width)
        return status_fail(st, ERR_CONFIG, "%s: cannot write a %dx%d image (stride %d)", path, width, height, stride);
    int opaque = 1;
    for (int y = 0; y < height && opaque; y++) {
        const uint32_t *row = (const uint32_t *)(data + (size_t)y * stride);
        for (int x = 0; x < width; x++)
            if ((row[x] >> 24) != 0xff) {
                opaque = 0;
                break;
            }
    }
    const int ch = opaque ? 3 : 4;
    uint8_t *px = malloc((size_t)width * height * ch);
    if (!px) return status_fail(st, ERR_IO, "%s: out of memory for a %dx%d image", path, width, height);
    for (int y = 0; y < height; y++) {
        /* a pixel is one native-endian uint32 (cairo's layout), whatever the byte order */
        const uint32_t *row = (const uint32_t *)(data + (size_t)y * stride);
        uint8_t *out = px + (size_t)y * width * ch;
        for (int x = 0; x < width; x++, out += ch) {
            const uint32_t p = row[x], a = p >> 24;
            uint32_t r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;
            if (a != 0xff && a != 0) { /* un-premultiply, rounding to nearest */
                r = (r * 255 + a / 2) / a;
                g = (g * 255 + a / 2) / a;
                b = (b * 255 + a / 2) / a;
            }
            out[0] = (uint8_t)r;
            out[1] = (uint8_t)g;
            out[2] = (uint8_t)b;
            if (ch == 4) out[3] = (uint8_t)a;
        }
    }
    const int rc = png_write_rgb8(path, px, width, height, ch, st);
    free(px);
    return rc;
}
