package io.flinkclip.tasks.probe;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class LbfgsTest {
    /** Rosenbrock in n dimensions: minimum 0 at (1, …, 1); curved valley that defeats a poor line search. */
    static final class Rosenbrock implements DifferentiableFunction {
        final int n;

        Rosenbrock(int n) { this.n = n; }

        @Override
        public int dimension() { return n; }

        @Override
        public double valueAndGradient(double[] x, double[] g) {
            double f = 0;
            java.util.Arrays.fill(g, 0);
            for (int i = 0; i < n - 1; i++) {
                double a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
                f += 100 * a * a + b * b;
                g[i] += -400 * a * x[i] - 2 * b;
                g[i + 1] += 200 * a;
            }
            return f;
        }
    }

    @Test
    void findsTheRosenbrockMinimum() {
        double[] start = new double[10];
        for (int i = 0; i < start.length; i++) start[i] = i % 2 == 0 ? -1.2 : 1;
        Lbfgs.Result r = new Lbfgs(new Lbfgs.Options(2000, 10, 1e-10, 0)).minimize(new Rosenbrock(10), start);
        for (double v : r.x()) assertEquals(1.0, v, 1e-6);
        assertTrue(r.value() < 1e-12, "f = " + r.value());
        assertEquals(Lbfgs.Stop.GRADIENT, r.stop());
    }

    @Test
    void solvesAQuadraticExactly() {
        // f(x) = ½ xᵀAx − bᵀx with A = diag(1..20): minimum at x = b / diag
        int n = 20;
        DifferentiableFunction q = new DifferentiableFunction() {
            public int dimension() { return n; }

            public double valueAndGradient(double[] x, double[] g) {
                double f = 0;
                for (int i = 0; i < n; i++) {
                    double a = i + 1, b = Math.sin(i);
                    f += 0.5 * a * x[i] * x[i] - b * x[i];
                    g[i] = a * x[i] - b;
                }
                return f;
            }
        };
        Lbfgs.Result r = new Lbfgs(new Lbfgs.Options(500, 5, 1e-12, 0)).minimize(q, new double[n]);
        for (int i = 0; i < n; i++) assertEquals(Math.sin(i) / (i + 1), r.x()[i], 1e-7); // f-based line search: x accurate to ~√ε
    }

    @Test
    void rejectsANonFiniteStart() {
        DifferentiableFunction bad = new DifferentiableFunction() {
            public int dimension() { return 1; }

            public double valueAndGradient(double[] x, double[] g) { g[0] = 0; return Double.NaN; }
        };
        assertThrows(IllegalArgumentException.class, () -> new Lbfgs(Lbfgs.Options.defaults()).minimize(bad, new double[1]));
    }
}
