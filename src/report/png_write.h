/* PNG files written with libpng: 8-bit RGB or RGBA rows, and cairo's image surfaces
 * (premultiplied ARGB32 in native byte order) converted to them. A file is written under
 * PATH.tmp and renamed into place when complete, so PATH is either absent, the old file or
 * the whole new one. */
#ifndef OCD_PNG_WRITE_H
#define OCD_PNG_WRITE_H

#include "core/status.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* px: h rows of w pixels of `channels` (3 RGB, 4 RGBA) bytes, packed. ERR_IO naming the path
 * (and libpng's or the system's reason) on failure; ERR_CONFIG for a bad size. */
int png_write_rgb8(const char *path, const uint8_t *px, int w, int h, int channels, Status *st);

/* data: a cairo ARGB32 surface's pixels (stride bytes a row). Opaque images are written as
 * RGB, others as RGBA with the alpha divided back out. */
int png_write_argb32(const char *path, const unsigned char *data, int w, int h, int stride, Status *st);

#ifdef __cplusplus
}
#endif

#endif
