/* PNG views for the NeRF loader, decoded with libpng into float RGB in [0, 1]. libpng
 * reports errors by longjmp: the error handler keeps the message, and everything the
 * decoder allocates lives in a PngRead owned by the caller of the setjmp frame, so that the
 * cleanup after a longjmp sees it. */
#include "data/data_io.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *path;
    FILE *f;
    png_structp png;
    png_infop info;
    unsigned char *pixels; /* (H, W, 4) RGBA bytes */
    png_bytep *rows;       /* H pointers into pixels */
    char err[256];
} PngRead;

static void png_on_error(png_structp png, png_const_charp msg)
{
    PngRead *r = png_get_error_ptr(png);
    snprintf(r->err, sizeof r->err, "%s", msg);
    png_longjmp(png, 1);
}

/* The engine never prints: libpng's warnings (e.g. a bad sRGB chunk) are dropped, since the
 * pixels are still read. */
static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* Asks libpng for 8-bit RGBA whatever the file holds. */
static void png_want_rgba8(png_structp png, png_infop info, int depth, int color)
{
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    int trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    if (trns) png_set_tRNS_to_alpha(png);
    if (depth == 16) png_set_strip_16(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    if (!(color & PNG_COLOR_MASK_ALPHA) && !trns) png_set_filler(png, 0xff, PNG_FILLER_AFTER);
    png_set_interlace_handling(png);
}

/* The setjmp frame: only `r`, `st` and the arguments are used after a longjmp, and none of
 * them changes in between. */
static int png_decode(PngRead *r, int W, int H, const char *size_from, float *out, Status *st)
{
    if (setjmp(png_jmpbuf(r->png))) return status_fail(st, ERR_FORMAT, "%s: %s", r->path, r->err);
    png_init_io(r->png, r->f);
    png_set_sig_bytes(r->png, 8);
    png_read_info(r->png, r->info);
    png_uint_32 w = 0, h = 0;
    int depth = 0, color = 0;
    if (!png_get_IHDR(r->png, r->info, &w, &h, &depth, &color, NULL, NULL, NULL))
        return status_fail(st, ERR_FORMAT, "%s: no readable image header", r->path);
    if (w != (png_uint_32)W || h != (png_uint_32)H)
        return status_fail(st, ERR_FORMAT, "%s: image is %ux%u, expected %dx%d (width x height from %s)", r->path,
                           (unsigned)w, (unsigned)h, W, H, size_from);
    png_want_rgba8(r->png, r->info, depth, color);
    png_read_update_info(r->png, r->info);
    size_t rowbytes = png_get_rowbytes(r->png, r->info);
    if (rowbytes != (size_t)W * 4)
        return status_fail(st, ERR_FORMAT, "%s: decoded rows are %zu bytes, expected %d (8-bit RGBA)", r->path,
                           rowbytes, W * 4);
    r->pixels = data_alloc((size_t)H * rowbytes, r->path, st);
    r->rows = r->pixels ? data_alloc((size_t)H * sizeof *r->rows, r->path, st) : NULL;
    if (!r->rows) return -1;
    for (int y = 0; y < H; y++) r->rows[y] = r->pixels + (size_t)y * rowbytes;
    png_read_image(r->png, r->rows);
    png_read_end(r->png, NULL);
    for (size_t i = 0; i < (size_t)H * W; i++) {
        const unsigned char *p = r->pixels + 4 * i;
        /* opaque pixels come out as exactly c / 255 (a = 1 adds nothing) */
        float a = (float)p[3] / 255.0f;
        for (int c = 0; c < 3; c++) out[3 * i + c] = (float)p[c] / 255.0f * a + (1.0f - a);
    }
    return 0;
}

int data_png_read_rgb(const char *path, int W, int H, const char *size_from, float *out, Status *st)
{
    PngRead r = {.path = path};
    unsigned char sig[8];
    int rc = -1;
    errno = 0;
    r.f = fopen(path, "rb");
    if (!r.f) return status_fail(st, ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t got = fread(sig, 1, sizeof sig, r.f);
    if (got != sizeof sig || png_sig_cmp(sig, 0, sizeof sig) != 0) {
        if (ferror(r.f))
            status_fail(st, ERR_IO, "%s: read error: %s", path, strerror(errno));
        else
            status_fail(st, ERR_FORMAT, "%s: not a PNG file (bad signature in bytes 0-7)", path);
        goto done;
    }
    r.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, png_on_error, png_on_warning);
    r.info = r.png ? png_create_info_struct(r.png) : NULL;
    if (!r.info) {
        status_fail(st, ERR_IO, "%s: libpng could not allocate its decoder", path);
        goto done;
    }
    rc = png_decode(&r, W, H, size_from, out, st);
done:
    if (r.png) png_destroy_read_struct(&r.png, r.info ? &r.info : NULL, NULL);
    free(r.rows);
    free(r.pixels);
    /* a read-only stream: fclose cannot lose data, and any read error was reported above */
    fclose(r.f);
    return rc;
}
