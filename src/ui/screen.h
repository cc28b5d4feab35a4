/* The curses screen: the only file besides cmdline.c that calls curses. It starts the
 * terminal (a real one, or headless into /dev/null at a fixed size for tests), decides UTF-8
 * and colours once, copies a canvas to the screen, and ends the terminal on every exit path. */
#ifndef OCD_UI_SCREEN_H
#define OCD_UI_SCREEN_H

#include "canvas.h"

#include <stddef.h>

typedef struct {
    int headless;  /* 1: newterm on /dev/null, size from rows/cols */
    int rows, cols;
    int ascii;     /* force the ASCII glyph sets */
    int mono;      /* no colours */
} ScreenOpts;

typedef struct {
    int rows, cols;
    int utf8;   /* the locale's codeset is UTF-8 and ASCII was not forced */
    int colors; /* 256, 8, or 0 (monochrome) */
    int headless;
} ScreenInfo;

int screen_start(const ScreenOpts *o, ScreenInfo *info, char *err, size_t errlen);
void screen_end(void);
/* the terminal's size now (after KEY_RESIZE); headless keeps its own */
void screen_size(ScreenInfo *info);
/* headless: a new fixed size (tests of resize) */
void screen_resize(ScreenInfo *info, int rows, int cols);
/* copies the canvas to the screen (wnoutrefresh; the caller calls screen_flush) */
void screen_blit(const Canvas *c, const ScreenInfo *info);
/* puts the cursor at (y, x) and shows it, or hides it (y < 0); then doupdate */
void screen_flush(int y, int x);
void screen_repaint(void); /* Ctrl-L: the next flush redraws everything */
/* the next key (curses code; ERR when none), without waiting */
int screen_key(void);
/* normal mode decodes function keys; command mode passes raw bytes to readline */
void screen_keypad(int on);

#endif
