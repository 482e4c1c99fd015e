package io.flinkclip.kernels.device;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every kernel of the shared source, run through the OpenCL backend (PoCL in CI; `.ci/run` installs it) and
 * compared with the CPU device on random inputs, forward and backward. With -Dclip.test.device=cuda:0 the
 * same tests run on an NVIDIA GPU.
 */
class DeviceKernelsTest {
    private static Device gpu;
    private static final Device cpu = new CpuDevice();
    private final SplittableRandom rnd = new SplittableRandom(7);

    @BeforeAll
    static void open() {
        String spec = System.getProperty("clip.test.device", "opencl:0:0");
        try {
            gpu = Devices.open(spec);
        } catch (DeviceException e) {
            throw new AssertionError("device " + spec + " unavailable (CI installs pocl-opencl-icd): " + e.getMessage(), e);
        }
    }

    @AfterAll
    static void close() { if (gpu != null) gpu.close(); }

    private float[] random(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    /** Runs {@code op} on both devices over copies of the same inputs and compares every buffer afterwards. */
    private void same(float tol, float[][] inputs, Op op) {
        DeviceBuffer[] g = new DeviceBuffer[inputs.length], c = new DeviceBuffer[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            g[i] = gpu.upload(inputs[i]);
            c[i] = cpu.upload(inputs[i]);
        }
        op.run(gpu, g);
        op.run(cpu, c);
        for (int i = 0; i < inputs.length; i++) {
            float[] a = gpu.download(g[i]), b = cpu.download(c[i]);
            float max = 1e-6f;
            for (float v : b) max = Math.max(max, Math.abs(v));
            for (int j = 0; j < a.length; j++) {
                int jj = j, ii = i;
                assertEquals(b[j], a[j], tol * max, () -> "buffer " + ii + " element " + jj + " on " + gpu.describe());
            }
            g[i].close();
        }
    }

    interface Op { void run(Device d, DeviceBuffer[] b); }

    @Test
    void gemmAllLayoutsWithBiasAndAccumulate() {
        int m = 37, n = 45, k = 70;
        same(1e-5f, new float[][] {random(m * k), random(n * k), random(n), random(m * n), random(k * n), random(k * m)}, (d, b) -> {
            d.gemmNT(m, n, k, b[0], 0, b[1], 0, b[2], b[3], 0, true);
            d.gemmNN(m, n, k, b[0], 0, b[4], 0, b[3], 0, true);
            d.gemmTN(m, n, k, b[5], 0, b[4], 0, b[3], 0, true);
        });
        same(1e-5f, new float[][] {random(3 + 5 * 9), random(2 + 7 * 9), random(4 + 5 * 7)}, (d, b) ->
                d.gemm(5, 7, 9, b[0], 3, 9, 1, b[1], 2, 1, 9, null, 0, b[2], 4, 7, 0f));
    }

    @Test
    void cudaTensorCoreGemmsStayWithinTheirPrecision() {
        DeviceException bad = assertThrows(DeviceException.class, () -> CudaDevice.open(0, "fp16"));
        assertTrue(bad.getMessage().contains("clip.cuda.math"), bad.getMessage());
        String spec = System.getProperty("clip.test.device", "opencl:0:0");
        if (!spec.startsWith("cuda")) return; // the modes below need an NVIDIA GPU (run there with -Dclip.test.device=cuda:0)
        int m = 256, n = 384, k = 768; // a ViT-B projection's shape, large enough for cuBLAS to pick tensor-core kernels
        float[] a = random(m * k), b = random(n * k), want = new float[m * n];
        DeviceBuffer ca = cpu.upload(a), cb = cpu.upload(b), cc = cpu.allocate((long) m * n);
        cpu.gemmNT(m, n, k, ca, 0, cb, 0, null, cc, 0, false);
        cpu.download(cc, 0, want, 0, want.length);
        java.util.Map<String, Double> errors = new java.util.HashMap<>();
        for (String math : new String[] {"fp32", "tf32", "bf16"}) {
            try (Device d = CudaDevice.open(spec.contains(":") ? Integer.parseInt(spec.substring(spec.indexOf(':') + 1)) : 0, math)) {
                DeviceBuffer ga = d.upload(a), gb = d.upload(b), gc = d.allocate((long) m * n);
                d.gemmNT(m, n, k, ga, 0, gb, 0, null, gc, 0, false);
                double rel = relativeL2(d.download(gc), want), bound = math.equals("fp32") ? 1e-6 : math.equals("tf32") ? 3e-3 : 1.5e-2;
                System.out.printf("GEMM %dx%dx%d on %s: relative L2 error %.2e (bound %.0e)%n", m, n, k, d.describe(), rel, bound);
                assertTrue(rel <= bound, math + ": relative L2 error " + rel);
                // tf32 and bf16 must show reduced-precision inputs
                if (!math.equals("fp32")) assertTrue(rel > 1e-5, math + " gave fp32 accuracy (" + rel + "): tensor cores not used?");
                errors.put(math, rel);
                if (math.equals("bf16")) bf16OperandsKeepEveryLayout(d);
                for (DeviceBuffer x : new DeviceBuffer[] {ga, gb, gc}) x.close();
            }
        }
        // bf16 keeps 8 mantissa bits to TF32's 10: real bf16 operands must be clearly less exact than TF32
        assertTrue(errors.get("bf16") > 2 * errors.get("tf32"), "bf16 error " + errors.get("bf16") + " vs tf32 " + errors.get("tf32")
                + ": the bf16 mode is not using bf16 operands");
    }

    private static double relativeL2(float[] got, float[] want) {
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) { num += (got[i] - want[i]) * (double) (got[i] - want[i]); den += (double) want[i] * want[i]; }
        return Math.sqrt(num / den);
    }

    /** The bf16 path converts each operand's span with its offset and strides: every layout, bias and accumulation as the CPU. */
    private void bf16OperandsKeepEveryLayout(Device d) {
        int m = 37, n = 45, k = 70;
        float[][] in = {random(3 + m * k), random(5 + n * k), random(n), random(m * n), random(k * n), random(k * m)};
        DeviceBuffer[] g = new DeviceBuffer[in.length], c = new DeviceBuffer[in.length];
        for (int i = 0; i < in.length; i++) { g[i] = d.upload(in[i]); c[i] = cpu.upload(in[i]); }
        for (Device x : new Device[] {d, cpu}) {
            DeviceBuffer[] b = x == d ? g : c;
            x.gemmNT(m, n, k, b[0], 3, b[1], 5, b[2], b[3], 0, true);  // A row-major at an offset, B transposed, bias, accumulate
            x.gemmNN(m, n, k, b[0], 3, b[4], 0, b[3], 0, true);       // B row-major
            x.gemmTN(m, n, k, b[5], 0, b[4], 0, b[3], 0, true);       // A transposed
        }
        double rel = relativeL2(d.download(g[3]), cpu.download(c[3]));
        System.out.printf("bf16 GEMM layouts on %s: relative L2 error %.2e%n", d.describe(), rel);
        assertTrue(rel <= 1.5e-2 && rel > 1e-5, "bf16 layouts: relative L2 error " + rel);
        for (int i = 0; i < in.length; i++) { g[i].close(); c[i].close(); }
    }

    @Test
    void layerNormForwardAndBackward() {
        int rows = 13, dim = 150; // more than one LayerNorm work-group (128) and a ragged column tile (32)
        same(2e-5f, new float[][] {random(rows * dim), random(dim), random(dim), new float[rows * dim], new float[2 * rows],
                random(rows * dim), new float[rows * dim], new float[dim]}, (d, b) -> {
            d.layerNorm(rows, dim, b[0], 0, b[1], b[2], b[3], 0, 1e-5f, b[4]);
            d.layerNormBackward(rows, dim, b[0], 0, b[1], b[4], b[5], 0, b[6], 0);
            d.columnSum(rows, dim, b[5], 0, b[7], 0);
        });
    }

    @Test
    void elementwise() {
        int n = 1000;
        same(1e-5f, new float[][] {random(n), random(n), random(n), new float[n], random(4 * 25), random(25)}, (d, b) -> {
            d.quickGeluBackward(n, b[0], 0, b[1], 0, b[3], 0);
            d.quickGelu(n, b[0], 0);
            d.relu(n - 10, b[1], 10);
            d.axpy(n - 1, 0.5f, b[2], 1, b[1], 0);
            d.addRowVector(4, 25, b[4], 0, b[5], 0);
            d.softmaxRows(4, 25, b[4], 0);
        });
    }

    @Test
    void fusedBiasKernelsMatchTheUnfusedOperations() {
        // rows > the row step (a work-item walks several rows), and a row wider than all work-items of one launch row
        int[][] shapes = {{700, 500}, {3, 300_000}, {5, 7}};
        for (int[] sh : shapes) {
            int rows = sh[0], cols = sh[1];
            same(1e-6f, new float[][] {random(rows * cols), random(cols)}, (d, b) -> d.addRowVector(rows, cols, b[0], 0, b[1], 0));
            // fused bias + QuickGELU on the device against the two steps on the CPU
            float[] x = random(rows * cols), bias = random(cols);
            float[] want = run(cpu, x, bias, (d, b) -> { d.addRowVector(rows, cols, b[0], 0, b[1], 0); d.quickGelu(rows * cols, b[0], 0); });
            assertClose(want, run(gpu, x, bias, (d, b) -> d.biasQuickGelu(rows, cols, b[0], 0, b[1])), 1e-6f, "biasQuickGelu " + rows + "x" + cols);
        }
        int rows = 13, dim = 150;
        same(2e-5f, new float[][] {random(rows * dim + 3), random(dim), random(dim), random(dim), new float[rows * dim]}, (d, b) ->
                d.layerNormAfterBias(rows, dim, b[0], 3, b[3], b[1], b[2], b[4], 0, 1e-5f));
        // the fused LayerNorm writes x + bias back and normalises exactly what the two-step form would (same device)
        float[] x = random(rows * dim), g = random(dim), be = random(dim), rb = random(dim);
        DeviceBuffer x1 = gpu.upload(x), x2 = gpu.upload(x), bG = gpu.upload(g), bB = gpu.upload(be), bR = gpu.upload(rb);
        DeviceBuffer y1 = gpu.allocate(rows * dim), y2 = gpu.allocate(rows * dim);
        gpu.layerNormAfterBias(rows, dim, x1, 0, bR, bG, bB, y1, 0, 1e-5f);
        gpu.addRowVector(rows, dim, x2, 0, bR, 0);
        gpu.layerNorm(rows, dim, x2, 0, bG, bB, y2, 0, 1e-5f, null);
        assertArrayEquals(gpu.download(x2), gpu.download(x1), "residual stream after the fused bias");
        assertArrayEquals(gpu.download(y2), gpu.download(y1), "LayerNorm after the fused bias");
        for (DeviceBuffer b : new DeviceBuffer[] {x1, x2, bG, bB, bR, y1, y2}) b.close();
    }

    @Test
    void nonFiniteValuesAreFlagged() {
        int n = 600_000; // more than one launch's work-items: items stride
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (int at : new int[] {0, 262_145, n - 1}) {
                float[] x = random(n);
                x[at] = bad;
                for (Device d : new Device[] {gpu, cpu}) {
                    try (DeviceBuffer bx = d.upload(x); DeviceBuffer flag = d.upload(new float[] {0, 0})) {
                        d.flagNonFinite(n - 1, bx, 1, flag, 1); // the window [1, n) misses index 0
                        float want = at == 0 ? 0f : 1f;
                        assertArrayEquals(new float[] {0, want}, d.download(flag), bad + " at " + at + " on " + d.describe());
                    }
                }
            }
        }
        float[] fine = random(n);
        fine[7] = Float.MAX_VALUE;
        fine[8] = -Float.MIN_VALUE;
        try (DeviceBuffer bx = gpu.upload(fine); DeviceBuffer flag = gpu.upload(new float[] {0.5f})) {
            gpu.flagNonFinite(n, bx, 0, flag, 0);
            assertArrayEquals(new float[] {0.5f}, gpu.download(flag), "finite extremes are not flagged and the flag is left as it was");
        }
    }

    private static float[] run(Device d, float[] x, float[] v, Op op) {
        try (DeviceBuffer bx = d.upload(x); DeviceBuffer bv = d.upload(v)) {
            op.run(d, new DeviceBuffer[] {bx, bv});
            return d.download(bx);
        }
    }

    private static void assertClose(float[] want, float[] got, float tol, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            int ii = i;
            assertEquals(want[i], got[i], tol * Math.max(1f, Math.abs(want[i])), () -> what + " element " + ii);
        }
    }

    @Test
    void attentionCausalAndFull() {
        int batch = 2, heads = 2;
        // 40: work-groups of 32 queries, the last one partly past the sequence; 77 × head width 64: CLIP's text shape
        for (int[] shape : new int[][] {{9, 16}, {40, 16}, {77, 128}}) {
            int seq = shape[0], dim = shape[1];
            int scratch = (int) Device.attentionBackwardScratch(batch, seq, heads);
            for (boolean causal : new boolean[] {true, false}) {
                same(1e-5f, new float[][] {random(batch * seq * 3 * dim), new float[batch * seq * dim], random(batch * seq * dim),
                        new float[batch * seq * 3 * dim], new float[scratch]}, (d, b) -> {
                    d.attention(batch, seq, dim, heads, causal, b[0], 0, b[1], 0);
                    d.attentionBackward(batch, seq, dim, heads, causal, b[0], 0, b[2], 0, b[3], 0, b[4], 0);
                    d.fill(scratch, 0f, b[4], 0); // scratch contents are backend-specific
                });
            }
        }
    }

    @Test
    void attentionAddsTheInProjectionBiasAsItReads() {
        int batch = 3, heads = 2;
        for (int[] shape : new int[][] {{9, 16}, {50, 128}, {77, 128}}) {
            int seq = shape[0], dim = shape[1], rows = batch * seq;
            for (boolean causal : new boolean[] {true, false}) {
                float[] qkv = random(rows * 3 * dim), bias = random(3 * dim);
                // reference: the bias added to the rows first, then attention without one (on the CPU and on the device)
                float[] want = new float[rows * dim], unfused = new float[rows * dim], fused = new float[rows * dim];
                for (Device d : new Device[] {cpu, gpu}) {
                    try (DeviceBuffer q = d.upload(qkv); DeviceBuffer b = d.upload(bias); DeviceBuffer o = d.allocate(rows * dim)) {
                        d.addRowVector(rows, 3 * dim, q, 0, b, 0);
                        d.attention(batch, seq, dim, heads, causal, q, 0, o, 0);
                        d.download(o, 0, d == cpu ? want : unfused, 0, rows * dim);
                    }
                }
                try (DeviceBuffer q = gpu.upload(qkv); DeviceBuffer b = gpu.upload(bias); DeviceBuffer o = gpu.allocate(rows * dim)) {
                    gpu.attention(batch, seq, dim, heads, causal, q, 0, b, o, 0);
                    gpu.download(o, 0, fused, 0, rows * dim);
                }
                String what = "seq " + seq + " dim " + dim + (causal ? " causal" : "");
                assertArrayEquals(unfused, fused, what + ": bias while reading == bias added first, bit for bit");
                assertClose(want, fused, 1e-5f, what + " against the CPU");
            }
        }
    }

    @Test
    void convolutionPoolingBatchNorm() {
        int n = 2, c = 3, h = 11, w = 9, oc = 4;
        int oh = (h + 2 - 3) / 2 + 1, ow = (w + 2 - 3) / 2 + 1;
        same(1e-5f, new float[][] {random(n * c * h * w), random(oc * c * 9), new float[n * oc * oh * ow], new float[n * oc * (oh / 2) * (ow / 2)],
                random(oc), random(oc), random(oc), random(oc)}, (d, b) -> {
            d.conv2d(n, c, h, w, b[1], oc, 3, 3, 2, 1, b[0], 0, b[2], 0);
            float[] var = d.download(b[5]);
            for (int i = 0; i < var.length; i++) var[i] = Math.abs(var[i]) + 0.1f;
            d.write(b[5], 0, var, 0, var.length);
            d.batchNorm(n, oc, oh * ow, b[2], 0, b[4], b[5], b[6], b[7], 1e-5f, true);
            d.avgPool(n * oc, oh, ow, 2, b[2], 0, b[3], 0);
        });
    }

    @Test
    void convolutionIntoCallerScratchMatchesAllocatingForm() {
        int n = 2, c = 3, h = 10, w = 7, oc = 5, k = 3, stride = 1, pad = 1;
        int outSize = n * oc * h * w;
        int scratch = (int) Device.conv2dScratch(n, c, h, w, oc, k, k, stride, pad);
        // input at an offset inside an "arena", scratch after the output, as DeviceClipModel lays them out
        same(1e-5f, new float[][] {random(4 + n * c * h * w + outSize + 3 + scratch), random(oc * c * k * k), new float[outSize]}, (d, b) -> {
            d.conv2d(n, c, h, w, b[1], oc, k, k, stride, pad, b[0], 4, b[0], 4 + n * c * h * w, b[0], 4 + n * c * h * w + outSize + 3);
            d.conv2d(n, c, h, w, b[1], oc, k, k, stride, pad, b[0], 4, b[2], 0);
            d.write(b[0], 4 + n * c * h * w + outSize + 3, new float[scratch], 0, scratch); // scratch contents are backend-specific
        });
    }

    @Test
    void tokenLayoutKernels() {
        int n = 3, width = 6, patches = 5, channels = 4, hw = 9;
        same(1e-6f, new float[][] {random(2 + n * width * patches), random(width), new float[1 + n * (1 + patches) * width]}, (d, b) ->
                d.patchTokens(n, width, patches, b[0], 2, b[1], b[2], 1));
        same(1e-6f, new float[][] {random(3 + n * channels * hw), new float[n * (1 + hw) * channels]}, (d, b) ->
                d.meanTokens(n, channels, hw, b[0], 3, b[1], 0));
        same(0f, new float[][] {random(50), random(40)}, (d, b) -> d.copyRows(3, 5, b[0], 2, 11, b[1], 1, 7));
        // hand check of the layouts on the CPU device
        float[] conv = new float[n * width * patches];
        for (int i = 0; i < conv.length; i++) conv[i] = i;
        try (DeviceBuffer x = cpu.upload(conv); DeviceBuffer cls = cpu.upload(new float[] {-1, -2, -3, -4, -5, -6});
             DeviceBuffer out = cpu.allocate((long) n * (1 + patches) * width)) {
            cpu.patchTokens(n, width, patches, x, 0, cls, out, 0);
            float[] o = cpu.download(out);
            assertEquals(-3, o[2]);
            // image 1, token 1 + 4, channel 2 = conv[1, 2, 4]
            assertEquals((1 * width + 2) * patches + 4, o[(1 * (1 + patches) + 5) * width + 2]);
        }
        float[] map = new float[channels * hw];
        for (int i = 0; i < map.length; i++) map[i] = i;
        try (DeviceBuffer x = cpu.upload(map); DeviceBuffer out = cpu.allocate((long) (1 + hw) * channels)) {
            cpu.meanTokens(1, channels, hw, x, 0, out, 0);
            float[] o = cpu.download(out);
            assertEquals(hw + (hw - 1) / 2f, o[1], 1e-6); // mean of channel 1 = 9..17
            assertEquals(2 * hw + 3, o[(1 + 3) * channels + 2]);
        }
    }

    @Test
    void trainingKernels() {
        int rows = 7, dim = 24, width = 5;
        same(1e-5f, new float[][] {random(rows * dim), random(dim), random(dim), new float[rows * dim], new float[2 * rows], random(rows * dim),
                random(3 + dim), random(dim), new float[1 + 2 * rows], new float[rows * dim]}, (d, b) -> {
            d.layerNorm(rows, dim, b[0], 0, b[1], b[2], b[3], 0, 1e-5f, b[4]);
            d.layerNormParamGrads(rows, dim, b[0], 0, b[4], 0, b[5], 0, b[6], 3, b[7], 0);
            // the same statistics at an offset, backward included
            d.layerNorm(rows, dim, b[0], 0, b[1], b[2], b[3], 0, 1e-5f, b[8], 1);
            d.layerNormBackward(rows, dim, b[0], 0, b[1], b[8], 1, b[5], 0, b[9], 0);
            d.layerNormBackward(rows, dim, b[0], 0, b[1], b[4], b[5], 0, b[9], 0);
            d.fill(5, 2.5f, b[3], 4);
        });
        int n = 2, c = 3, h = 6, w = 5;
        int cols = (int) (Device.conv2dScratch(n, c, h, w, 0, 3, 3, 2, 1));
        same(0f, new float[][] {random(1 + n * c * h * w), new float[2 + cols]}, (d, b) -> d.im2col(n, c, h, w, 3, 3, 2, 1, b[0], 1, b[1], 2));
        int[] index = {3, 0, 3, 3, 1};
        for (Device d : new Device[] {gpu, cpu}) {
            float[] x = new float[index.length * width];
            for (int i = 0; i < x.length; i++) x[i] = i;
            try (DeviceBuffer idx = d.uploadInts(index); DeviceBuffer in = d.upload(x); DeviceBuffer out = d.allocate(1 + 4 * width)) {
                d.scatterAddRows(index.length, width, idx, in, 0, out, 1);
                float[] o = d.download(out);
                for (int k = 0; k < width; k++) {
                    assertEquals(x[k] + x[2 * width + k] + x[3 * width + k], o[1 + 3 * width + k], d.describe());
                    assertEquals(x[width + k], o[1 + k]);
                    assertEquals(0, o[1 + 2 * width + k]);
                }
            }
        }
    }

    @Test
    void attentionBackwardMatchesCpuAndFiniteDifferences() {
        int batch = 2, seq = 7, dim = 12, heads = 3;
        int scratch = (int) Device.attentionBackwardScratch(batch, seq, heads);
        for (boolean causal : new boolean[] {true, false}) {
            float[] qkv = random(batch * seq * 3 * dim), dOut = random(batch * seq * dim);
            same(1e-5f, new float[][] {qkv, dOut, new float[5 + batch * seq * 3 * dim], new float[scratch]}, (d, b) -> {
                d.attentionBackward(batch, seq, dim, heads, causal, b[0], 0, b[1], 0, b[2], 5, b[3], 0);
                d.fill(scratch, 0f, b[3], 0); // scratch contents are backend-specific
            });
            // d/dqkv of Σ dOut·attention(qkv), by central differences on the CPU device
            float[] grad;
            try (DeviceBuffer q = cpu.upload(qkv); DeviceBuffer g = cpu.upload(dOut); DeviceBuffer dq = cpu.allocate(qkv.length);
                 DeviceBuffer sc = cpu.allocate(scratch)) {
                cpu.attentionBackward(batch, seq, dim, heads, causal, q, 0, g, 0, dq, 0, sc, 0);
                grad = cpu.download(dq);
            }
            for (int idx : new int[] {0, 5, dim + 3, 2 * dim + 1, 3 * dim * 4 + dim + 7, qkv.length - 1}) {
                double eps = 1e-2;
                float[] plus = qkv.clone(), minus = qkv.clone();
                plus[idx] += (float) eps;
                minus[idx] -= (float) eps;
                double fd = (objective(plus, dOut, batch, seq, dim, heads, causal) - objective(minus, dOut, batch, seq, dim, heads, causal)) / (2 * eps);
                assertEquals(fd, grad[idx], 2e-3 * (1 + Math.abs(fd)), "d/dqkv[" + idx + "] causal=" + causal);
            }
        }
    }

    private static double objective(float[] qkv, float[] dOut, int batch, int seq, int dim, int heads, boolean causal) {
        try (DeviceBuffer q = cpu.upload(qkv); DeviceBuffer o = cpu.allocate((long) batch * seq * dim)) {
            cpu.attention(batch, seq, dim, heads, causal, q, 0, o, 0);
            float[] out = cpu.download(o);
            double s = 0;
            for (int i = 0; i < out.length; i++) s += (double) out[i] * dOut[i];
            return s;
        }
    }

    @Test
    void gathers() {
        int vocab = 50, width = 8;
        int[] tokens = {3, 49, 0, 7, 7};
        for (Device d : new Device[] {gpu, cpu}) {
            float[] table = new float[vocab * width];
            for (int i = 0; i < table.length; i++) table[i] = i;
            try (DeviceBuffer t = d.upload(table); DeviceBuffer tok = d.uploadInts(tokens); DeviceBuffer out = d.allocate(5 * width);
                 DeviceBuffer rows = d.uploadInts(new int[] {4, 1}); DeviceBuffer picked = d.allocate(2 * width)) {
                d.embeddingGather(5, width, tok, t, out, 0);
                d.gatherRows(2, width, rows, out, 0, picked, 0);
                float[] o = d.download(out), p = d.download(picked);
                for (int r = 0; r < 5; r++) for (int i = 0; i < width; i++) assertEquals(tokens[r] * width + i, o[r * width + i], d.describe());
                for (int i = 0; i < width; i++) {
                    assertEquals(7 * width + i, p[i]);
                    assertEquals(49 * width + i, p[width + i]);
                }
            }
        }
    }

    /** AdamW's per-step scalars as the host optimiser computes them (lr 1e-3, β 0.9/0.98, wd 0.2 where it decays). */
    private static float bc2Sqrt(int t) { return (float) Math.sqrt(1 - Math.pow(0.98, t)); }

    private static float stepSize(int t) { return (float) (1e-3 / (1 - Math.pow(0.9, t))); }

    @Test
    void adamwAndContrastiveLoss() {
        int n = 300, pOff = 5, stateOff = 17; // the 300 parameters sit inside larger buffers
        float[] params = random(n + 2 * pOff), state = random(n + 2 * stateOff);
        float decay = (float) (1 - 1e-3 * 0.2);
        same(1e-6f, new float[][] {params, state, new float[state.length], new float[state.length]}, (d, b) -> {
            for (int t = 1; t <= 3; t++) d.adamw(n, b[0], pOff, b[1], b[2], b[3], stateOff, 0.7f, decay, 0.9f, 0.98f, bc2Sqrt(t), stepSize(t), 1e-6f);
        });
        // the CPU device is the host optimiser's update element for element: bit-identical to OptimizerKernels.adamW
        float[] w = java.util.Arrays.copyOfRange(params, pOff, pOff + n), g = java.util.Arrays.copyOfRange(state, stateOff, stateOff + n);
        float[] m = new float[n], v = new float[n];
        DeviceBuffer cp = cpu.upload(params), cg = cpu.upload(state), cm = cpu.allocate(state.length), cv = cpu.allocate(state.length);
        for (int t = 1; t <= 3; t++) {
            cpu.adamw(n, cp, pOff, cg, cm, cv, stateOff, 1f, decay, 0.9f, 0.98f, bc2Sqrt(t), stepSize(t), 1e-6f);
            io.flinkclip.kernels.OptimizerKernels.adamW(w, g, m, v, decay, 0.9f, 0.98f, bc2Sqrt(t), stepSize(t), 1e-6f);
        }
        assertArrayEquals(w, java.util.Arrays.copyOfRange(cpu.download(cp), pOff, pOff + n), 0f);
        assertArrayEquals(v, java.util.Arrays.copyOfRange(cpu.download(cv), stateOff, stateOff + n), 0f);
        // the offsets, and the gradient scale: Adam's first step moves each parameter by lr·sign(g) whatever the scale
        for (Device d : new Device[] {cpu, gpu}) {
            DeviceBuffer p = d.upload(params), gb = d.upload(state), mb = d.allocate(state.length), vb = d.allocate(state.length);
            d.adamw(n, p, pOff, gb, mb, vb, stateOff, 0.25f, 1f, 0.9f, 0.98f, bc2Sqrt(1), stepSize(1), 0f);
            float[] after = d.download(p), m1 = d.download(mb);
            for (int i = 0; i < params.length; i++) {
                boolean inside = i >= pOff && i < pOff + n;
                float want = inside ? params[i] - 1e-3f * Math.signum(state[i - pOff + stateOff]) : params[i];
                assertEquals(want, after[i], 1e-6f, "parameter " + i + " on " + d.describe());
            }
            assertEquals(0.1f * 0.25f * state[stateOff + 7], m1[stateOff + 7], 1e-7f, "first moment of the scaled gradient on " + d.describe());
            for (DeviceBuffer x : new DeviceBuffer[] {p, gb, mb, vb}) x.close();
        }
        for (DeviceBuffer x : new DeviceBuffer[] {cp, cg, cm, cv}) x.close();
        int bsz = 6;
        float[] logits = random(bsz * bsz);
        for (int i = 0; i < logits.length; i++) logits[i] *= 10;
        float[] losses = new float[2];
        same(1e-5f, new float[][] {logits, new float[bsz * bsz]}, (d, b) -> losses[d == gpu ? 0 : 1] = d.contrastiveLoss(bsz, b[0], b[1]));
        assertEquals(losses[1], losses[0], 1e-5f * Math.abs(losses[1]));
        // hand check: loss of the CPU path equals the textbook definition
        double ref = 0;
        for (int r = 0; r < bsz; r++) {
            double sr = 0, sc = 0;
            for (int j = 0; j < bsz; j++) { sr += Math.exp(logits[r * bsz + j]); sc += Math.exp(logits[j * bsz + r]); }
            ref += (Math.log(sr) - logits[r * bsz + r]) + (Math.log(sc) - logits[r * bsz + r]);
        }
        assertEquals(ref / (2 * bsz), losses[1], 1e-5);
    }

    @Test
    void sumOfSquaresOverSeveralBlocksFlagsNonFiniteValues() {
        int n = 3 * 128 * 32 + 77, off = 11; // three full sum_squares groups and a ragged one, inside a larger buffer
        float[] x = random(n + 2 * off);
        for (int i = 0; i < x.length; i++) x[i] *= 1 + (i % 97); // magnitudes over two orders
        double want = 0;
        for (int i = off; i < off + n; i++) want += (double) x[i] * x[i];
        for (Device d : new Device[] {cpu, gpu}) {
            try (DeviceBuffer b = d.upload(x)) {
                assertEquals(want, d.sumOfSquares(n, b, off), 1e-6 * want, d.describe());
                assertEquals((double) x[off] * x[off], d.sumOfSquares(1, b, off), 1e-6 * x[off] * x[off], d.describe());
                assertEquals(0.0, d.sumOfSquares(0, b, off), 0.0, d.describe());
                double again = d.sumOfSquares(n, b, off);
                assertEquals(again, d.sumOfSquares(n, b, off), 0.0, "deterministic on " + d.describe());
            }
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
                float[] y = x.clone();
                y[off + n - 3] = bad; // in the ragged last group
                try (DeviceBuffer b = d.upload(y)) {
                    assertFalse(Double.isFinite(d.sumOfSquares(n, b, off)), bad + " on " + d.describe());
                    assertTrue(Double.isFinite(d.sumOfSquares(n - 3, b, off)), "outside the range on " + d.describe());
                }
            }
        }
    }

    @Test
    void bf16RoundTrip() {
        float[] x = {1f, -2.5f, 3.14159f, 1e-3f, 65504f, Float.NaN, 0f};
        for (Device d : new Device[] {gpu, cpu}) {
            try (DeviceBuffer in = d.upload(x); DeviceBuffer packed = d.allocate((x.length + 1) / 2); DeviceBuffer back = d.allocate(x.length)) {
                d.toBf16(x.length, in, packed);
                d.fromBf16(x.length, packed, back);
                float[] y = d.download(back);
                for (int i = 0; i < x.length; i++) {
                    if (Float.isNaN(x[i])) assertTrue(Float.isNaN(y[i]));
                    else assertEquals(x[i], y[i], Math.abs(x[i]) / 128, d.describe() + " value " + x[i]);
                }
                assertEquals(3.140625f, y[2], 0f, "round to nearest even");
            }
        }
    }
}
