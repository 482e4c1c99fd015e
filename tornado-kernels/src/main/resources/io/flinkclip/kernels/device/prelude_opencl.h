/* OpenCL C 1.2 spelling of the kernel dialect used by clip_kernels.h. */
#define KERNEL __kernel
#define GLOBAL __global
#define SHARED __local
#define GLOBAL_ID(d) ((int) get_global_id(d))
#define LOCAL_ID(d) ((int) get_local_id(d))
#define GROUP_ID(d) ((int) get_group_id(d))
#define SYNC_THREADS() barrier(CLK_LOCAL_MEM_FENCE)
#define EXPF(x) exp(x)
#define SQRTF(x) sqrt(x)
#define FMAXF(a, b) fmax(a, b)
#define USHORT ushort
#define UINT uint
#define AS_UINT(f) as_uint(f)
#define AS_FLOAT(u) as_float(u)
#define LOGF(x) log(x)
#define DEVICE_FN
#define SHARED_PTR __local
#define ALIGN16 __attribute__((aligned(16)))
#define LOAD4(p, i) vload4(0, (p) + (i))
