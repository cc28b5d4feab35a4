/* Central finite differences against the tape's gradients, for one op case. */
#ifndef OCD_TEST_GRADCHECK_H
#define OCD_TEST_GRADCHECK_H

#include "op_cases.h"

typedef struct {
    double h;      /* finite-difference step */
    double atol;   /* absolute tolerance */
    double rtol;   /* relative to max(|numeric|, |analytic|) */
    int max_elems; /* per input; larger inputs are checked at a fixed random subset */
    double corrupt;/* tests of the checker: scale the analytic gradient by (1 + corrupt) */
} GradTol;

/* Checks d(sum(R * op(inputs)))/d(input) for every input the case marks, with R a fixed
 * random projection. The loss is accumulated in double on the host. Returns the number of
 * elements outside tolerance; `why` receives the worst one. */
int gradcheck_case(Ctx *c, const OpCase *oc, uint64_t seed, GradTol tol, char *why, size_t why_len);

#endif
