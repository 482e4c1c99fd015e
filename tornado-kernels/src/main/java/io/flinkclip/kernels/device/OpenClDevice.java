package io.flinkclip.kernels.device;

import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;
import org.jocl.cl_program;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.jocl.CL.*;

/**
 * OpenCL 1.2 backend through JOCL: any OpenCL device (AMD, Intel, NVIDIA GPUs; PoCL on the CPU in CI). The
 * kernels of {@code clip_kernels.h} are compiled at open time; GEMM is our own 16×16 local-memory tiled kernel.
 * One in-order queue; kernel objects are cached per name (argument setting + enqueue is synchronised, since a
 * cl_kernel's arguments are shared state).
 */
public final class OpenClDevice extends KernelDevice {
    private final cl_context context;
    private final cl_command_queue queue;
    private final cl_program program;
    private final String description;
    private final Map<String, cl_kernel> kernels = new ConcurrentHashMap<>();
    private boolean closed;

    private OpenClDevice(cl_platform_id platform, cl_device_id device, String description) {
        this.description = description;
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL_CONTEXT_PLATFORM, platform);
        context = clCreateContext(props, 1, new cl_device_id[] {device}, null, null, null);
        queue = clCreateCommandQueue(context, device, 0, null);
        program = clCreateProgramWithSource(context, 1, new String[] {KernelSource.openCl()}, null, null);
        try {
            clBuildProgram(program, 0, null, "-cl-std=CL1.2", null, null);
        } catch (CLException e) {
            long[] size = new long[1];
            clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, null, size);
            byte[] log = new byte[(int) size[0]];
            clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, log.length, Pointer.to(log), null);
            throw new DeviceException("OpenCL kernel build failed on " + description + ": " + new String(log).trim(), e);
        }
    }

    /** Opens device {@code deviceIndex} of platform {@code platformIndex}. */
    public static OpenClDevice open(int platformIndex, int deviceIndex) {
        try {
            CL.setExceptionsEnabled(true);
            List<cl_platform_id> platforms = platforms();
            if (platformIndex >= platforms.size()) {
                throw new DeviceException("OpenCL platform " + platformIndex + " not found (" + platforms.size() + " platforms)");
            }
            cl_platform_id platform = platforms.get(platformIndex);
            int[] n = new int[1];
            clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, null, n);
            if (deviceIndex >= n[0]) throw new DeviceException("OpenCL device " + deviceIndex + " not found on platform " + platformIndex);
            cl_device_id[] devices = new cl_device_id[n[0]];
            clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, n[0], devices, null);
            String desc = "opencl:" + platformIndex + ":" + deviceIndex + " " + info(devices[deviceIndex], CL_DEVICE_NAME)
                    + " (" + platformInfo(platform) + ")";
            return new OpenClDevice(platform, devices[deviceIndex], desc);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new DeviceException("OpenCL is not available: no OpenCL ICD loader (libOpenCL.so.1) could be loaded: " + e.getMessage(), e);
        } catch (CLException e) {
            throw new DeviceException("OpenCL failed: " + e.getMessage(), e);
        }
    }

    static List<cl_platform_id> platforms() {
        int[] n = new int[1];
        try {
            clGetPlatformIDs(0, null, n);
        } catch (CLException e) {
            if (e.getStatus() == CL_PLATFORM_NOT_FOUND_KHR) return List.of();
            throw e;
        }
        cl_platform_id[] ids = new cl_platform_id[n[0]];
        clGetPlatformIDs(n[0], ids, null);
        return new ArrayList<>(List.of(ids));
    }

    private static String info(cl_device_id d, int param) {
        long[] size = new long[1];
        clGetDeviceInfo(d, param, 0, null, size);
        byte[] buf = new byte[(int) size[0]];
        clGetDeviceInfo(d, param, buf.length, Pointer.to(buf), null);
        return new String(buf, 0, Math.max(0, buf.length - 1)).trim();
    }

    private static String platformInfo(cl_platform_id p) {
        long[] size = new long[1];
        clGetPlatformInfo(p, CL_PLATFORM_NAME, 0, null, size);
        byte[] buf = new byte[(int) size[0]];
        clGetPlatformInfo(p, CL_PLATFORM_NAME, buf.length, Pointer.to(buf), null);
        return new String(buf, 0, Math.max(0, buf.length - 1)).trim();
    }

    @Override
    public String describe() { return description; }

    private static final class ClBuffer implements DeviceBuffer {
        final cl_mem mem;
        final long length;
        boolean freed;

        ClBuffer(cl_mem mem, long length) { this.mem = mem; this.length = length; }

        @Override
        public long length() { return length; }

        @Override
        public synchronized void close() {
            if (!freed) { freed = true; clReleaseMemObject(mem); }
        }
    }

    private static ClBuffer cl(DeviceBuffer b) {
        if (!(b instanceof ClBuffer c)) throw new IllegalArgumentException("buffer does not belong to an OpenCL device: " + b);
        if (c.freed) throw new IllegalStateException("buffer was already freed");
        return c;
    }

    @Override
    public DeviceBuffer allocate(long elements) {
        long bytes = Math.max(4, elements * 4);
        try {
            cl_mem m = clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, null);
            clEnqueueFillBuffer(queue, m, Pointer.to(new float[] {0f}), Sizeof.cl_float, 0, bytes, 0, null, null);
            return new ClBuffer(m, elements);
        } catch (CLException e) {
            throw new DeviceException("out of device memory on " + description + " allocating " + bytes + " bytes: " + e.getMessage(), e);
        }
    }

    @Override
    public DeviceBuffer upload(float[] data) {
        cl_mem m = clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, Math.max(4, data.length * 4L),
                data.length == 0 ? Pointer.to(new float[1]) : Pointer.to(data), null);
        return new ClBuffer(m, data.length);
    }

    @Override
    public DeviceBuffer uploadInts(int[] data) {
        cl_mem m = clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, Math.max(4, data.length * 4L),
                data.length == 0 ? Pointer.to(new int[1]) : Pointer.to(data), null);
        return new ClBuffer(m, data.length);
    }

    @Override
    public void write(DeviceBuffer dst, long dstOff, float[] src, int srcOff, int len) {
        check(dst, dstOff, len);
        clEnqueueWriteBuffer(queue, cl(dst).mem, CL_TRUE, dstOff * 4, len * 4L, Pointer.to(src).withByteOffset(srcOff * 4L), 0, null, null);
    }

    @Override
    public void download(DeviceBuffer src, long srcOff, float[] dst, int dstOff, int len) {
        check(src, srcOff, len);
        clEnqueueReadBuffer(queue, cl(src).mem, CL_TRUE, srcOff * 4, len * 4L, Pointer.to(dst).withByteOffset(dstOff * 4L), 0, null, null);
    }

    private static void check(DeviceBuffer b, long off, int len) {
        if (off < 0 || len < 0 || off + len > b.length()) {
            throw new IndexOutOfBoundsException("range [" + off + ", " + (off + len) + ") outside a buffer of " + b.length());
        }
    }

    @Override
    public void synchronize() { clFinish(queue); }

    @Override
    protected void launch(String name, int[] global, int[] local, Object... args) {
        cl_kernel k = kernels.computeIfAbsent(name, n -> clCreateKernel(program, n, null));
        long[] g = new long[global.length], l = new long[global.length];
        for (int i = 0; i < global.length; i++) {
            l[i] = local[i];
            g[i] = roundUp(global[i], local[i]);
        }
        synchronized (k) {
            for (int i = 0; i < args.length; i++) {
                Object a = args[i];
                switch (a) {
                    case DeviceBuffer b -> clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(cl(b).mem));
                    case Integer v -> clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[] {v}));
                    case Float v -> clSetKernelArg(k, i, Sizeof.cl_float, Pointer.to(new float[] {v}));
                    default -> throw new IllegalArgumentException("unsupported kernel argument " + a);
                }
            }
            try {
                clEnqueueNDRangeKernel(queue, k, global.length, null, g, l, 0, null, null);
            } catch (CLException e) {
                throw new DeviceException("OpenCL launch of " + name + " failed on " + description + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        clFinish(queue);
        kernels.values().forEach(CL::clReleaseKernel);
        clReleaseProgram(program);
        clReleaseCommandQueue(queue);
        clReleaseContext(context);
    }
}
