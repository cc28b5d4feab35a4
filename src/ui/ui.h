/* The terminal workbench: `ocd ui [PRESET|DIR]` (and `ocd` alone) opens it. */
#ifndef OCD_UI_UI_H
#define OCD_UI_UI_H

typedef struct {
    const char *target;     /* a preset name or path, or a session folder; NULL: the default preset */
    const char *session;    /* --session DIR, or NULL: sessions/<preset> */
    const char *asset_dir;  /* the bundled assets */
    const char *sessions_root;
    const char *script;     /* headless: a file of keys and commands */
    const char *history;    /* the command history file, NULL: ~/.ocd_history */
    int headless, rows, cols;
    int ascii, mono;
    int threads;
    int autorun;            /* start running the remaining stages at once */
} UiOptions;

/* runs the workbench until the user quits; returns the process exit status */
int ui_main(const UiOptions *o);

#endif
