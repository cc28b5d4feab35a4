/* Reading a PNG back with libpng (its simplified API) and looking at its pixels, for the
 * report tests: the decoded size, and how many pixels of a colour lie inside a rectangle. */
#ifndef OCD_TEST_PNG_CHECK_H
#define OCD_TEST_PNG_CHECK_H

#include <png.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* RGBA8 pixels (free them), or NULL with libpng's message in err */
static inline unsigned char *png_check_read(const char *path, int *w, int *h, char *err, size_t errlen)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path)) {
        snprintf(err, errlen, "%.180s: %.63s", path, img.message);
        return NULL;
    }
    img.format = PNG_FORMAT_RGBA;
    unsigned char *px = malloc(PNG_IMAGE_SIZE(img));
    if (!px || !png_image_finish_read(&img, NULL, px, 0, NULL)) {
        snprintf(err, errlen, "%.180s: %.63s", path, px ? img.message : "out of memory");
        free(px);
        png_image_free(&img);
        return NULL;
    }
    *w = (int)img.width;
    *h = (int)img.height;
    return px;
}

typedef struct {
    double x, y, w, h;
} PngRect;

/* pixels inside r (and outside `skip`, when its w > 0) within `tol` of colour 0xRRGGBB in
 * every channel */
static inline long png_check_count(const unsigned char *px, int w, int h, PngRect r, PngRect skip, uint32_t colour,
                                   int tol)
{
    const int cr = (colour >> 16) & 0xff, cg = (colour >> 8) & 0xff, cb = colour & 0xff;
    long n = 0;
    for (int y = (int)r.y + 1; y < (int)(r.y + r.h) && y < h; y++)
        for (int x = (int)r.x + 1; x < (int)(r.x + r.w) && x < w; x++) {
            if (skip.w > 0 && x >= skip.x && x <= skip.x + skip.w && y >= skip.y && y <= skip.y + skip.h) continue;
            const unsigned char *p = px + 4 * ((size_t)y * w + x);
            if (abs(p[0] - cr) <= tol && abs(p[1] - cg) <= tol && abs(p[2] - cb) <= tol) n++;
        }
    return n;
}

#endif
