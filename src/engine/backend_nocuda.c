/* Linked when the CUDA toolkit was not found at configure time: there is no CUDA backend. */
#include "backend.h"

const Backend *backend_cuda(void) { return NULL; }
