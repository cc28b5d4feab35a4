/* Reading the PyTorch-made reference fixtures (HDF5 files written by tests/ref/make_ops_ref.py). */
#ifndef OCD_TEST_FIXTURE_H
#define OCD_TEST_FIXTURE_H

#include <stddef.h>

typedef struct Fixture Fixture;

Fixture *fixture_open(const char *path); /* NULL (with a message on stderr) when unreadable */
void fixture_close(Fixture *f);
/* Names of the top-level groups, in creation order; returns how many (at most max). */
int fixture_groups(Fixture *f, char (*names)[64], int max);
int fixture_has(Fixture *f, const char *path);
/* A float32 dataset, malloc'd; shape and rank through the pointers. NULL when absent. */
float *fixture_read(Fixture *f, const char *path, int *ndim, int shape[4]);
/* Attributes of a group or dataset: the number read (0 when absent). */
int fixture_attr_ints(Fixture *f, const char *obj, const char *name, int *out, int max);
int fixture_attr_floats(Fixture *f, const char *obj, const char *name, float *out, int max);
/* A string attribute into buf; 0 when absent. */
int fixture_attr_string(Fixture *f, const char *obj, const char *name, char *buf, size_t len);

#endif
