/*
 * A stand-in for libcuda.so.1, compiled by MockCudaTest with gcc. "Device" memory is host memory, two kernels
 * (axpy, relu) are executed on the host from the marshalled kernel parameters so the FFM argument passing is
 * checked end to end, and mock_set_result() makes any entry point fail with a chosen CUresult.
 */
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;
typedef struct { char name[64]; } Fn;

static char fail_name[64];
static int fail_code;
static long live_allocations;
static int launches, live_contexts, live_modules, live_events, live_host, async_copies;

int mock_set_result(const char* fn, int code) { strncpy(fail_name, fn, 63); fail_code = code; return 0; }
long mock_live_allocations(void) { return live_allocations; }
int mock_launches(void) { return launches; }
/* retained primary contexts, loaded modules, events and page-locked blocks: 0 again once every opened device is closed */
int mock_live_handles(void) { return live_contexts + live_modules + live_events + live_host; }
int mock_async_copies(void) { return async_copies; }

#define FAILPOINT(n) if (fail_code && strcmp(fail_name, n) == 0) return fail_code

CUresult cuGetErrorName(CUresult e, const char** s) {
    switch (e) {
        case 2: *s = "CUDA_ERROR_OUT_OF_MEMORY"; return 0;
        case 100: *s = "CUDA_ERROR_NO_DEVICE"; return 0;
        case 200: *s = "CUDA_ERROR_INVALID_IMAGE"; return 0;
        case 719: *s = "CUDA_ERROR_LAUNCH_FAILED"; return 0;
        default: return 1;
    }
}
CUresult cuInit(unsigned f) { FAILPOINT("cuInit"); return f == 0 ? 0 : 1; }
CUresult cuDeviceGetCount(int* n) { FAILPOINT("cuDeviceGetCount"); *n = 1; return 0; }
CUresult cuDeviceGet(int* d, int ordinal) { *d = ordinal; return 0; }
CUresult cuDeviceGetName(char* buf, int len, int d) { strncpy(buf, "Mock GPU", len); return 0; }
CUresult cuDevicePrimaryCtxRetain(void** ctx, int d) { *ctx = (void*) 0x1234; live_contexts++; return 0; }
CUresult cuDevicePrimaryCtxRelease_v2(int d) { live_contexts--; return 0; }
CUresult cuModuleUnload(void* m) { live_modules--; return m == (void*) 0x5678 ? 0 : 400; }
CUresult cuCtxSetCurrent(void* ctx) { return ctx == (void*) 0x1234 ? 0 : 201; }
CUresult cuModuleLoadData(void** m, const void* image) {
    FAILPOINT("cuModuleLoadData");
    /* a CUDA fatbin starts with the magic 0xBA55ED50 */
    if (*(const uint32_t*) image != 0xBA55ED50u) return 200;
    *m = (void*) 0x5678; live_modules++; return 0;
}
CUresult cuModuleGetFunction(void** f, void* m, const char* name) {
    Fn* fn = malloc(sizeof(Fn)); strncpy(fn->name, name, 63); *f = fn; return 0;
}
CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes) {
    FAILPOINT("cuMemAlloc_v2");
    void* m = malloc(bytes); if (!m) return 2; *p = (CUdeviceptr) (uintptr_t) m; live_allocations++; return 0;
}
CUresult cuMemFree_v2(CUdeviceptr p) { free((void*) (uintptr_t) p); live_allocations--; return 0; }
CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void* s, size_t n) { memcpy((void*) (uintptr_t) d, s, n); return 0; }
CUresult cuMemcpyDtoH_v2(void* d, CUdeviceptr s, size_t n) { memcpy(d, (void*) (uintptr_t) s, n); return 0; }
CUresult cuMemsetD32_v2(CUdeviceptr d, unsigned v, size_t n) { unsigned* p = (unsigned*) (uintptr_t) d; for (size_t i = 0; i < n; i++) p[i] = v; return 0; }
CUresult cuMemHostAlloc(void** p, size_t bytes, unsigned flags) {
    FAILPOINT("cuMemHostAlloc");
    *p = malloc(bytes); if (!*p) return 2; live_host++; return 0;
}
CUresult cuMemFreeHost(void* p) { free(p); live_host--; return 0; }
/* runs at once; a real driver copies later, which CudaDevice's events guard */
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void* s, size_t n, void* stream) {
    FAILPOINT("cuMemcpyHtoDAsync_v2");
    memcpy((void*) (uintptr_t) d, s, n); async_copies++; return 0;
}
CUresult cuEventCreate(void** e, unsigned flags) { *e = malloc(1); live_events++; return flags == 2 ? 0 : 1; }
CUresult cuEventRecord(void* e, void* stream) { return e ? 0 : 400; }
CUresult cuEventSynchronize(void* e) { return e ? 0 : 400; }
CUresult cuEventDestroy_v2(void* e) { free(e); live_events--; return 0; }
CUresult cuCtxSynchronize(void) { FAILPOINT("cuCtxSynchronize"); return 0; }
CUresult cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shmem, void* stream, void** params, void** extra) {
    FAILPOINT("cuLaunchKernel");
    Fn* fn = f; launches++;
    long total = (long) gx * bx;
    if (strcmp(fn->name, "axpy") == 0) {          /* (int n, float alpha, float* x, int xOff, float* y, int yOff) */
        int n = *(int*) params[0]; float alpha = *(float*) params[1];
        float* x = (float*) (uintptr_t) *(CUdeviceptr*) params[2]; int xo = *(int*) params[3];
        float* y = (float*) (uintptr_t) *(CUdeviceptr*) params[4]; int yo = *(int*) params[5];
        if (total < n) return 719;
        for (int i = 0; i < n; i++) y[yo + i] += alpha * x[xo + i];
        return 0;
    }
    if (strcmp(fn->name, "relu") == 0) {          /* (int n, float* x, int off) */
        int n = *(int*) params[0]; float* x = (float*) (uintptr_t) *(CUdeviceptr*) params[1]; int o = *(int*) params[2];
        if (total < n) return 719;
        for (int i = 0; i < n; i++) if (x[o + i] < 0) x[o + i] = 0;
        return 0;
    }
    return 719;
}
