/* CUDA C++ spelling of the kernel dialect used by clip_kernels.h. */
#define KERNEL extern "C" __global__
#define GLOBAL
#define SHARED __shared__
__device__ __forceinline__ int clip_global_id(int d) {
    return d == 0 ? (int) (blockIdx.x * blockDim.x + threadIdx.x)
         : d == 1 ? (int) (blockIdx.y * blockDim.y + threadIdx.y)
                  : (int) (blockIdx.z * blockDim.z + threadIdx.z);
}
__device__ __forceinline__ int clip_local_id(int d) { return d == 0 ? (int) threadIdx.x : d == 1 ? (int) threadIdx.y : (int) threadIdx.z; }
__device__ __forceinline__ int clip_group_id(int d) { return d == 0 ? (int) blockIdx.x : d == 1 ? (int) blockIdx.y : (int) blockIdx.z; }
#define GLOBAL_ID(d) clip_global_id(d)
#define LOCAL_ID(d) clip_local_id(d)
#define GROUP_ID(d) clip_group_id(d)
#define SYNC_THREADS() __syncthreads()
#define EXPF(x) expf(x)
#define SQRTF(x) sqrtf(x)
#define FMAXF(a, b) fmaxf(a, b)
#define USHORT unsigned short
#define UINT unsigned int
#define AS_UINT(f) __float_as_uint(f)
#define AS_FLOAT(u) __uint_as_float(u)
#define LOGF(x) logf(x)
#define DEVICE_FN __device__ __forceinline__
#define SHARED_PTR
#define ALIGN16 __attribute__((aligned(16)))
#define LOAD4(p, i) (*(const float4*) ((p) + (i))) /* p: a 16-byte aligned local array, i a multiple of 4 */
