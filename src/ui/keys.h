/* The key table: one row per binding, with the pane it works in (or every pane), what it
 * does, and the words the help overlay and the key bar show. The same table dispatches keys,
 * draws the `?` overlay and fills the bottom bar, so they cannot disagree. */
#ifndef OCD_UI_KEYS_H
#define OCD_UI_KEYS_H

#include "app.h"

typedef int (*KeyAction)(App *a);

typedef struct {
    int key;         /* curses key code or character */
    const char *name; /* as shown: "Tab", "?", "←/→" */
    int pane;        /* a PaneId, or -1 for every pane */
    const char *help;
    const char *bar; /* its word in the bottom key bar, NULL: not shown there */
    KeyAction act;   /* NULL: the pane's own handler (pane_key) takes it */
} KeyBinding;

const KeyBinding *keys_table(int *n);
/* dispatches a key in normal mode; REACT_* flags, 0 when nothing took it */
int keys_dispatch(App *a, int key);
/* the bottom bar for the focused pane, and the help overlay (drawn over the screen) */
void keys_draw_bar(App *a, Rect r);
void keys_draw_help(App *a);
/* "Tab", "C-l", "x" → key code (for scripts); -1 when unknown */
int keys_parse(const char *name);

#endif
