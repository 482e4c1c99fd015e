package io.flinkclip.kernels.backward;

import io.flinkclip.kernels.Conv;
import io.flinkclip.kernels.Gemm;
import io.flinkclip.kernels.Ops;
import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.Random;

import static io.flinkclip.kernels.backward.GradCheck.check;
import static io.flinkclip.kernels.backward.GradCheck.dot;
import static io.flinkclip.kernels.backward.GradCheck.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackwardKernelsTest {
    private static final double EPS = 1e-2, TOL = 2e-3;
    private final Random rnd = new Random(7);

    @Test
    void linear() {
        int m = 5, in = 7, out = 4;
        float[] x = random(rnd, m * in, 1), w = random(rnd, out * in, 0.5), b = random(rnd, out, 1), dy = random(rnd, m * out, 1);
        float[] dx = new float[m * in], dw = new float[out * in], db = new float[out];
        LinearBackward.linear(dy, 0, x, 0, w, 0, dx, 0, dw, 0, db, 0, m, in, out);
        check("linear", new float[][]{x, w, b}, new float[][]{dx, dw, db}, p -> {
            float[] y = new float[m * out];
            Gemm.nt(p[0], 0, p[1], 0, p[2], y, 0, m, out, in, false);
            return dot(dy, y);
        }, EPS, TOL);
    }

    @Test
    void linearAccumulatesAndHonoursOffsets() {
        int m = 3, in = 4, out = 2, off = 5;
        float[] x = new float[off + m * in], w = new float[off + out * in], dy = new float[off + m * out];
        float[] xs = random(rnd, m * in, 1), ws = random(rnd, out * in, 1), dys = random(rnd, m * out, 1);
        System.arraycopy(xs, 0, x, off, xs.length);
        System.arraycopy(ws, 0, w, off, ws.length);
        System.arraycopy(dys, 0, dy, off, dys.length);
        float[] dx = new float[off + m * in], dw = new float[off + out * in];
        float[] dx0 = new float[m * in], dw0 = new float[out * in];
        LinearBackward.linear(dys, 0, xs, 0, ws, 0, dx0, 0, dw0, 0, null, 0, m, in, out);
        LinearBackward.linear(dy, off, x, off, w, off, dx, off, dw, off, null, 0, m, in, out);
        LinearBackward.linear(dy, off, x, off, w, off, dx, off, dw, off, null, 0, m, in, out);
        for (int i = 0; i < dx0.length; i++) assertEquals(2 * dx0[i], dx[off + i], 1e-5);
        for (int i = 0; i < dw0.length; i++) assertEquals(2 * dw0[i], dw[off + i], 1e-5);
        for (int i = 0; i < off; i++) assertEquals(0f, dx[i]);
    }

    @Test
    void projection() {
        int m = 5, in = 6, out = 3;
        float[] x = random(rnd, m * in, 1), p = random(rnd, in * out, 0.5), dy = random(rnd, m * out, 1);
        float[] dx = new float[m * in], dp = new float[in * out];
        LinearBackward.projection(dy, 0, x, 0, p, 0, dx, 0, dp, 0, m, in, out);
        check("projection", new float[][]{x, p}, new float[][]{dx, dp}, q -> {
            float[] y = new float[m * out];
            Gemm.nn(q[0], 0, q[1], 0, y, 0, m, out, in, false);
            return dot(dy, y);
        }, EPS, TOL);
    }

    @Test
    void layerNorm() {
        int rows = 4, dim = 9;
        float[] x = random(rnd, rows * dim, 2), g = random(rnd, dim, 1), b = random(rnd, dim, 1), dy = random(rnd, rows * dim, 1);
        float[] y = new float[rows * dim], y2 = new float[rows * dim], mean = new float[rows], rstd = new float[rows];
        LayerNormTrain.forward(x, 0, g, b, y, 0, mean, rstd, 0, rows, dim, 1e-5f);
        Ops.layerNorm(x, 0, g, b, y2, 0, rows, dim, 1e-5f);
        assertArrayEquals(y2, y, 1e-6f, "training forward must equal the inference forward");
        float[] dx = new float[rows * dim], dg = new float[dim], db = new float[dim];
        LayerNormTrain.backward(dy, 0, x, 0, mean, rstd, 0, g, dx, 0, dg, db, rows, dim);
        check("layerNorm", new float[][]{x, g, b}, new float[][]{dx, dg, db}, p -> {
            float[] out = new float[rows * dim];
            Ops.layerNorm(p[0], 0, p[1], p[2], out, 0, rows, dim, 1e-5f);
            return dot(dy, out);
        }, EPS, TOL);
    }

    @Test
    void quickGeluAndRelu() {
        int n = 40;
        float[] x = random(rnd, n, 2), dy = random(rnd, n, 1), dx = new float[n];
        Activations.quickGeluBackward(x, 0, dy, 0, dx, 0, n, false);
        check("quickGelu", new float[][]{x}, new float[][]{dx}, p -> {
            float[] y = p[0].clone();
            Ops.quickGelu(y, 0, n);
            return dot(dy, y);
        }, EPS, TOL);
        float[] xr = x.clone();   // keep every input ≥ 0.1 away from ReLU's kink so ±ε never crosses it
        for (int i = 0; i < n; i++) xr[i] += Math.copySign(0.1f, xr[i]);
        float[] dr = new float[n];
        Activations.reluBackward(xr, 0, dy, 0, dr, 0, n, false);
        check("relu", new float[][]{xr}, new float[][]{dr}, p -> {
            float[] y = p[0].clone();
            Ops.relu(y, 0, n);
            return dot(dy, y);
        }, EPS, TOL);
    }

    @Test
    void residual() {
        float[] dy = random(rnd, 6, 1), dx = random(rnd, 6, 1), before = dx.clone();
        Activations.residualBackward(dy, 0, dx, 0, 6);
        for (int i = 0; i < 6; i++) assertEquals(before[i] + dy[i], dx[i], 0f);
    }

    @Test
    void packedAttentionCausalAndFull() {
        for (boolean causal : new boolean[]{true, false}) {
            for (boolean saved : new boolean[]{true, false}) {
                int batch = 2, seq = 5, dim = 8, heads = 2;
                float[] qkv = random(rnd, batch * seq * 3 * dim, 1), dy = random(rnd, batch * seq * dim, 1);
                float[] out = new float[batch * seq * dim], ref = new float[batch * seq * dim];
                float[] probs = saved ? new float[batch * heads * seq * seq] : null;
                var q = AttentionBackward.packedQ(qkv, 0, dim);
                var k = AttentionBackward.packedK(qkv, 0, dim);
                var v = AttentionBackward.packedV(qkv, 0, dim);
                AttentionBackward.forward(q, k, v, out, 0, probs, batch, seq, seq, dim, heads, causal);
                Ops.attention(qkv, 0, ref, 0, batch, seq, dim, heads, causal);
                assertArrayEquals(ref, out, 1e-5f, "training forward must equal Ops.attention");
                float[] dqkv = new float[qkv.length];
                AttentionBackward.backward(q, k, v, dy, 0, probs, AttentionBackward.packedQ(dqkv, 0, dim),
                        AttentionBackward.packedK(dqkv, 0, dim), AttentionBackward.packedV(dqkv, 0, dim),
                        batch, seq, seq, dim, heads, causal);
                check("attention causal=" + causal + " saved=" + saved, new float[][]{qkv}, new float[][]{dqkv}, p -> {
                    float[] o = new float[batch * seq * dim];
                    Ops.attention(p[0], 0, o, 0, batch, seq, dim, heads, causal);
                    return dot(dy, o);
                }, EPS, TOL);
            }
        }
    }

    @Test
    void attentionRejectsBadShapes() {
        var vw = new AttentionBackward.View(new float[48], 0, 8);
        assertThrows(IllegalArgumentException.class, () -> AttentionBackward.forward(vw, vw, vw, new float[8], 0, null, 1, 1, 6, 8, 3, false));
        assertThrows(IllegalArgumentException.class, () -> AttentionBackward.forward(vw, vw, vw, new float[8], 0, null, 1, 1, 6, 8, 2, true));
        assertThrows(IllegalArgumentException.class, () -> AttentionBackward.forward(vw, vw, vw, new float[8], 0, null, 1, 1, 7, 8, 2, false));
    }

    @Test
    void wrongBufferSizesFailClearly() {
        var e = assertThrows(IllegalArgumentException.class, () -> LinearBackward.linear(new float[5], 0, new float[6], 0, new float[9], 0,
                null, 0, new float[9], 0, null, 0, 2, 3, 3));
        assertTrue(e.getMessage().contains("dy"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ConvBackward.conv2d(new float[8], 1, 1, 3, 3, new float[4], 1, 2, 2, 1, 0,
                new float[4], null, new float[4], null));
        assertThrows(IllegalArgumentException.class, () -> LayerNormTrain.forward(new float[4], 0, new float[2], new float[2], new float[4], 0,
                new float[1], new float[1], 0, 2, 2, 1e-5f));
    }

    @Test
    void attentionPoolSingleQuery() {
        // Attention pool: NCHW map → [mean; pixels] tokens → q from token 0 only, k/v from all tokens.
        int n = 2, c = 8, hw = 4, heads = 2, l = hw + 1;
        float[] x = random(rnd, n * c * hw, 1), wq = random(rnd, c * c, 0.4), wk = random(rnd, c * c, 0.4), wv = random(rnd, c * c, 0.4);
        float[] dy = random(rnd, n * c, 1);
        // forward with saved intermediates
        float[] tok = new float[n * l * c];
        AttentionPoolBackward.tokens(x, n, c, hw, tok);
        float[] q = new float[n * c], k = new float[n * l * c], v = new float[n * l * c], o = new float[n * c];
        for (int b = 0; b < n; b++) Gemm.nt(tok, b * l * c, wq, 0, null, q, b * c, 1, c, c, false);
        Gemm.nt(tok, 0, wk, 0, null, k, 0, n * l, c, c, false);
        Gemm.nt(tok, 0, wv, 0, null, v, 0, n * l, c, c, false);
        var qv = new AttentionBackward.View(q, 0, c);
        var kv = new AttentionBackward.View(k, 0, c);
        var vv = new AttentionBackward.View(v, 0, c);
        AttentionBackward.forward(qv, kv, vv, o, 0, null, n, 1, l, c, heads, false);
        // backward
        float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length];
        AttentionBackward.backward(qv, kv, vv, dy, 0, null, new AttentionBackward.View(dq, 0, c),
                new AttentionBackward.View(dk, 0, c), new AttentionBackward.View(dv, 0, c), n, 1, l, c, heads, false);
        float[] dTok = new float[tok.length], dwq = new float[c * c], dwk = new float[c * c], dwv = new float[c * c];
        for (int b = 0; b < n; b++) LinearBackward.linear(dq, b * c, tok, b * l * c, wq, 0, dTok, b * l * c, dwq, 0, null, 0, 1, c, c);
        LinearBackward.linear(dk, 0, tok, 0, wk, 0, dTok, 0, dwk, 0, null, 0, n * l, c, c);
        LinearBackward.linear(dv, 0, tok, 0, wv, 0, dTok, 0, dwv, 0, null, 0, n * l, c, c);
        float[] dx = new float[x.length];
        AttentionPoolBackward.tokensBackward(dTok, n, c, hw, dx);
        check("attentionPool", new float[][]{x, wq, wk, wv}, new float[][]{dx, dwq, dwk, dwv}, p -> {
            float[] t = new float[n * l * c];
            AttentionPoolBackward.tokens(p[0], n, c, hw, t);
            float[] qq = new float[n * c], kk = new float[n * l * c], vvv = new float[n * l * c], oo = new float[n * c];
            for (int b = 0; b < n; b++) Gemm.nt(t, b * l * c, p[1], 0, null, qq, b * c, 1, c, c, false);
            Gemm.nt(t, 0, p[2], 0, null, kk, 0, n * l, c, c, false);
            Gemm.nt(t, 0, p[3], 0, null, vvv, 0, n * l, c, c, false);
            AttentionBackward.forward(new AttentionBackward.View(qq, 0, c), new AttentionBackward.View(kk, 0, c),
                    new AttentionBackward.View(vvv, 0, c), oo, 0, null, n, 1, l, c, heads, false);
            return dot(dy, oo);
        }, EPS, TOL);
    }

    @Test
    void conv2d() {
        int n = 2, c = 3, h = 7, w = 6, outC = 4, k = 3, stride = 2, pad = 1;
        int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
        float[] x = random(rnd, n * c * h * w, 1), wt = random(rnd, outC * c * k * k, 0.3), b = random(rnd, outC, 1);
        float[] dy = random(rnd, n * outC * oh * ow, 1);
        float[] dx = new float[x.length], dw = new float[wt.length], db = new float[outC];
        ConvBackward.conv2d(x, n, c, h, w, wt, outC, k, k, stride, pad, dy, dx, dw, db);
        check("conv2d", new float[][]{x, wt, b}, new float[][]{dx, dw, db}, p -> {
            float[] y = new float[dy.length];
            Conv.conv2d(p[0], n, c, h, w, p[1], p[2], outC, k, k, stride, pad, y);
            return dot(dy, y);
        }, EPS, TOL);
    }

    @Test
    void conv2dPatchStem() {
        // ViT patch embedding: kernel = stride = patch, no padding, no bias, no input gradient.
        int n = 1, c = 3, h = 8, w = 8, outC = 5, k = 4;
        float[] x = random(rnd, n * c * h * w, 1), wt = random(rnd, outC * c * k * k, 0.3), dy = random(rnd, n * outC * 4, 1);
        float[] dw = new float[wt.length];
        ConvBackward.conv2d(x, n, c, h, w, wt, outC, k, k, k, 0, dy, null, dw, null);
        check("patchConv", new float[][]{wt}, new float[][]{dw}, p -> {
            float[] y = new float[dy.length];
            Conv.conv2d(x, n, c, h, w, p[0], null, outC, k, k, k, 0, y);
            return dot(dy, y);
        }, EPS, TOL);
    }

    @Test
    void avgPool() {
        int n = 2, c = 2, h = 5, w = 4, k = 2;
        float[] x = random(rnd, n * c * h * w, 1), dy = random(rnd, n * c * (h / k) * (w / k), 1), dx = new float[x.length];
        ConvBackward.avgPool(dy, n, c, h, w, k, dx);
        check("avgPool", new float[][]{x}, new float[][]{dx}, p -> {
            float[] y = new float[dy.length];
            Conv.avgPool(p[0], n, c, h, w, k, y);
            return dot(dy, y);
        }, EPS, TOL);
    }

    @Test
    void batchNormEval() {
        int n = 2, c = 3, hw = 5;
        float[] x = random(rnd, n * c * hw, 1), g = random(rnd, c, 1), b = random(rnd, c, 1), dy = random(rnd, x.length, 1);
        float[] mean = random(rnd, c, 0.5), var = new float[]{0.5f, 1.5f, 2f};
        float[] dx = new float[x.length], dg = new float[c], db = new float[c];
        BatchNormBackward.evalBackward(x, dy, n, c, hw, mean, var, g, 1e-5f, dx, dg, db);
        check("batchNormEval", new float[][]{x, g, b}, new float[][]{dx, dg, db}, p -> {
            float[] y = p[0].clone();
            Conv.batchNorm(y, n, c, hw, mean, var, p[1], p[2], 1e-5f, false);
            return dot(dy, y);
        }, EPS, TOL);
    }

    @Test
    void batchNormTrain() {
        int n = 3, c = 2, hw = 4;
        float[] x = random(rnd, n * c * hw, 2), g = random(rnd, c, 1), b = random(rnd, c, 1), dy = random(rnd, x.length, 1);
        float[] rm = {0.1f, -0.2f}, rv = {1.0f, 2.0f};
        float[] sm = new float[c], sr = new float[c], y = new float[x.length];
        BatchNormBackward.trainForward(x, n, c, hw, g, b, 1e-5f, rm, rv, sm, sr, y);
        for (int ch = 0; ch < c; ch++) {   // running stats as PyTorch: momentum 0.1, unbiased variance
            double m = 0, ss = 0;
            int cnt = n * hw;
            for (int bb = 0; bb < n; bb++) for (int i = 0; i < hw; i++) m += x[(bb * c + ch) * hw + i];
            m /= cnt;
            for (int bb = 0; bb < n; bb++) for (int i = 0; i < hw; i++) ss += Math.pow(x[(bb * c + ch) * hw + i] - m, 2);
            assertEquals(0.9 * (ch == 0 ? 0.1 : -0.2) + 0.1 * m, rm[ch], 1e-6);
            assertEquals(0.9 * (ch == 0 ? 1.0 : 2.0) + 0.1 * ss / (cnt - 1), rv[ch], 1e-5);
        }
        float[] dx = new float[x.length], dg = new float[c], db = new float[c];
        BatchNormBackward.trainBackward(x, dy, n, c, hw, g, sm, sr, dx, dg, db);
        check("batchNormTrain", new float[][]{x, g, b}, new float[][]{dx, dg, db}, p -> {
            float[] out = new float[x.length];
            BatchNormBackward.trainForward(p[0], n, c, hw, p[1], p[2], 1e-5f, new float[c], new float[c], new float[c], new float[c], out);
            return dot(dy, out);
        }, EPS, TOL);
        assertThrows(IllegalArgumentException.class, () -> BatchNormBackward.trainForward(new float[2], 1, 2, 1, g, b, 1e-5f,
                new float[2], new float[2], new float[2], new float[2], new float[2]));
    }

    @Test
    void embeddingGatherIsSparse() {
        int vocab = 10, width = 3;
        int[] tokens = {4, 1, 4, 7};
        float[] table = random(rnd, vocab * width, 1), dy = random(rnd, tokens.length * width, 1), dt = new float[table.length];
        BitSet rows = EmbeddingBackward.gather(tokens, dy, 0, dt, vocab, width);
        assertEquals(BitSet.valueOf(new long[]{(1 << 1) | (1 << 4) | (1 << 7)}), rows);
        for (int r = 0; r < vocab; r++) if (!rows.get(r)) for (int i = 0; i < width; i++) assertEquals(0f, dt[r * width + i]);
        check("embedding", new float[][]{table}, new float[][]{dt}, p -> {
            float[] y = new float[tokens.length * width];
            for (int r = 0; r < tokens.length; r++) System.arraycopy(p[0], tokens[r] * width, y, r * width, width);
            return dot(dy, y);
        }, EPS, TOL);
        assertThrows(IllegalArgumentException.class, () -> EmbeddingBackward.gather(new int[]{10}, dy, 0, dt, vocab, width));
    }

    @Test
    void positionalBroadcast() {
        int batch = 3, seq = 4, width = 2;
        float[] pos = random(rnd, seq * width, 1), x = random(rnd, batch * seq * width, 1), dy = random(rnd, x.length, 1);
        float[] dPos = new float[pos.length];
        EmbeddingBackward.broadcastAdd(dy, 0, batch, seq, width, dPos, 0);
        check("positional", new float[][]{pos}, new float[][]{dPos}, p -> {
            float[] y = x.clone();
            for (int b = 0; b < batch; b++) Ops.addInPlace(y, b * seq * width, p[0], 0, seq * width);
            return dot(dy, y);
        }, EPS, TOL);
    }
}
