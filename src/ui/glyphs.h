/* The glyphs the renderers draw with, and their ASCII fallbacks, in one place: braille dots,
 * eighth blocks, the upper half block, box drawing. Also UTF-8 decoding and display widths,
 * so that the canvas measures text the same way whatever locale the program runs in. */
#ifndef OCD_UI_GLYPHS_H
#define OCD_UI_GLYPHS_H

#include <stdint.h>

enum {
    GLYPH_BRAILLE_BASE = 0x2800, /* + dot bits: a 2x4 dot cell */
    GLYPH_UPPER_HALF = 0x2580,   /* ▀: fg paints the top half, bg the bottom */
    GLYPH_FULL_BLOCK = 0x2588,   /* █ */
    GLYPH_SHADE = 0x2592,        /* ▒ */
    GLYPH_ELLIPSIS = 0x2026,     /* … */
    GLYPH_DOT = 0x25CF,          /* ●: a point estimate */
    GLYPH_REPLACEMENT = 0xFFFD,  /* what a bad UTF-8 byte decodes to */
};

/* The braille dot bit for the dot at column dx (0..1) and row dy (0..3, top first). */
unsigned glyph_braille_bit(int dx, int dy);

/* A cell filled from the bottom by `eighths` (0..8) eighths: ' ', U+2581..U+2588.
 * ASCII has no partial cells: `fill` where eighths >= 4, else ' ' (rounds to the nearest cell). */
uint32_t glyph_lower_eighth(int eighths, int ascii, uint32_t fill);
/* A cell filled from the left: ' ', U+258F (1/8) .. U+2589 (7/8), U+2588; ASCII as above. */
uint32_t glyph_left_eighth(int eighths, int ascii, uint32_t fill);

typedef struct {
    uint32_t h, v, tl, tr, bl, br, tee_right, tee_up; /* tee_right ┤ (a y tick), tee_up ┴ */
} BoxGlyphs;
/* Light (─│┌┐└┘), heavy (━┃┏┓┗┛) or ASCII (-|+, and =|+ for heavy). */
const BoxGlyphs *glyph_box(int heavy, int ascii);

/* Display columns of a code point: 0 (combining marks, zero-width spaces), 2 (East Asian
 * wide and fullwidth, most emoji) or 1. Control characters count 1: the canvas shows them
 * as '?'. Our own table rather than wcwidth(3): wcwidth depends on setlocale and on the libc
 * version, and goldens must not. */
int glyph_width(uint32_t cp);
/* what an ASCII canvas shows for a code point: itself below 0x80, a look-alike for the
 * symbols the panes use in their text (± · — ✓ ▶ Ω ρ …), '?' for anything else */
uint32_t glyph_ascii(uint32_t cp);

/* Decodes one code point from s into *cp; returns the bytes used (0 at the terminating NUL).
 * A malformed or truncated sequence decodes as U+FFFD and consumes one byte. */
int utf8_decode(const char *s, uint32_t *cp);
/* Writes cp as UTF-8 into out (4 bytes at most); returns the byte count. */
int utf8_encode(uint32_t cp, char out[4]);

#endif
