// CUDA translation unit: the shared kernel source under the CUDA prelude. Built into a fatbin by nvcc
// (tornado-kernels/build-cuda.sh, run by Maven's `cuda` profile when nvcc exists).
#include "prelude_cuda.h"
#include "clip_kernels.h"
