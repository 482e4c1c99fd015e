package io.flinkclip.kernels.backward;

import io.flinkclip.kernels.Gemm;
import io.flinkclip.kernels.Ops;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.flinkclip.kernels.backward.GradCheck.check;
import static io.flinkclip.kernels.backward.GradCheck.dot;
import static io.flinkclip.kernels.backward.GradCheck.random;

/**
 * The kernels composed into one CLIP residual attention block (pre-LN, causal, QuickGELU MLP), backward checked
 * end to end by finite differences: the wiring a network-level backward needs, in miniature.
 * x1 = x + out_proj(attn(ln_1(x)·W_inᵀ + b_in)); y = x1 + c_proj(quickgelu(c_fc(ln_2(x1)))).
 */
class ResidualBlockBackwardTest {
    static final int B = 2, T = 4, D = 8, H = 2, F = 16, R = B * T;
    static final float EPS = 1e-5f;

    /** params: 0 x, 1 ln1 g, 2 ln1 b, 3 W_in[3D,D], 4 b_in, 5 W_out[D,D], 6 b_out, 7 ln2 g, 8 ln2 b, 9 W_fc[F,D], 10 b_fc, 11 W_proj[D,F], 12 b_proj */
    static float[] forward(float[][] p) {
        float[] h = new float[R * D], qkv = new float[R * 3 * D], a = new float[R * D], x1 = p[0].clone();
        Ops.layerNorm(p[0], 0, p[1], p[2], h, 0, R, D, EPS);
        Gemm.nt(h, 0, p[3], 0, p[4], qkv, 0, R, 3 * D, D, false);
        Ops.attention(qkv, 0, a, 0, B, T, D, H, true);
        Gemm.nt(a, 0, p[5], 0, p[6], x1, 0, R, D, D, true);
        float[] h2 = new float[R * D], f = new float[R * F], y = x1.clone();
        Ops.layerNorm(x1, 0, p[7], p[8], h2, 0, R, D, EPS);
        Gemm.nt(h2, 0, p[9], 0, p[10], f, 0, R, F, D, false);
        Ops.quickGelu(f, 0, f.length);
        Gemm.nt(f, 0, p[11], 0, p[12], y, 0, R, D, F, true);
        return y;
    }

    @Test
    void blockBackwardMatchesFiniteDifferences() {
        Random r = new Random(21);
        int[] sizes = {R * D, D, D, 3 * D * D, 3 * D, D * D, D, D, D, F * D, F, D * F, D};
        double[] scales = {1, 1, 0.2, 0.35, 0.1, 0.35, 0.1, 1, 0.2, 0.35, 0.1, 0.25, 0.1};
        float[][] p = new float[sizes.length][];
        for (int i = 0; i < p.length; i++) p[i] = random(r, sizes[i], scales[i]);
        for (int i = 0; i < D; i++) { p[1][i] += 1; p[7][i] += 1; }
        float[] dy = random(r, R * D, 1);
        float[][] g = new float[p.length][];
        for (int i = 0; i < p.length; i++) g[i] = new float[sizes[i]];

        // forward, keeping activations
        float[] m1 = new float[R], s1 = new float[R], m2 = new float[R], s2 = new float[R];
        float[] h = new float[R * D], qkv = new float[R * 3 * D], a = new float[R * D], x1 = p[0].clone();
        LayerNormTrain.forward(p[0], 0, p[1], p[2], h, 0, m1, s1, 0, R, D, EPS);
        Gemm.nt(h, 0, p[3], 0, p[4], qkv, 0, R, 3 * D, D, false);
        float[] probs = new float[B * H * T * T];
        AttentionBackward.forward(AttentionBackward.packedQ(qkv, 0, D), AttentionBackward.packedK(qkv, 0, D),
                AttentionBackward.packedV(qkv, 0, D), a, 0, probs, B, T, T, D, H, true);
        Gemm.nt(a, 0, p[5], 0, p[6], x1, 0, R, D, D, true);
        float[] h2 = new float[R * D], pre = new float[R * F];
        LayerNormTrain.forward(x1, 0, p[7], p[8], h2, 0, m2, s2, 0, R, D, EPS);
        Gemm.nt(h2, 0, p[9], 0, p[10], pre, 0, R, F, D, false);
        float[] act = pre.clone();
        Ops.quickGelu(act, 0, act.length);

        // backward: MLP branch, residual, attention branch, residual
        float[] dx1 = dy.clone();                                   // skip path of the second residual
        float[] dAct = new float[R * F], dPre = new float[R * F], dh2 = new float[R * D];
        LinearBackward.linear(dy, 0, act, 0, p[11], 0, dAct, 0, g[11], 0, g[12], 0, R, F, D);
        Activations.quickGeluBackward(pre, 0, dAct, 0, dPre, 0, dPre.length, false);
        LinearBackward.linear(dPre, 0, h2, 0, p[9], 0, dh2, 0, g[9], 0, g[10], 0, R, D, F);
        LayerNormTrain.backward(dh2, 0, x1, 0, m2, s2, 0, p[7], dx1, 0, g[7], g[8], R, D);
        float[] dx = g[0];
        Activations.residualBackward(dx1, 0, dx, 0, dx.length);     // skip path of the first residual
        float[] da = new float[R * D], dqkv = new float[R * 3 * D], dh = new float[R * D];
        LinearBackward.linear(dx1, 0, a, 0, p[5], 0, da, 0, g[5], 0, g[6], 0, R, D, D);
        AttentionBackward.backward(AttentionBackward.packedQ(qkv, 0, D), AttentionBackward.packedK(qkv, 0, D),
                AttentionBackward.packedV(qkv, 0, D), da, 0, probs, AttentionBackward.packedQ(dqkv, 0, D),
                AttentionBackward.packedK(dqkv, 0, D), AttentionBackward.packedV(dqkv, 0, D), B, T, T, D, H, true);
        LinearBackward.linear(dqkv, 0, h, 0, p[3], 0, dh, 0, g[3], 0, g[4], 0, R, D, 3 * D);
        LayerNormTrain.backward(dh, 0, p[0], 0, m1, s1, 0, p[1], dx, 0, g[1], g[2], R, D);

        // A larger step than the single-kernel tests: the whole block runs in float, so rounding noise in the
        // loss (~1e-7 relative per element) divided by ε dominates at ε = 1e-2; Richardson keeps truncation O(ε⁴).
        check("residual block", p, g, q -> dot(dy, forward(q)), 2e-2, 2e-3);
    }
}
