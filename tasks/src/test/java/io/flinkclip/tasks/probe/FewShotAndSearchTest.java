package io.flinkclip.tasks.probe;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class FewShotAndSearchTest {
    @Test
    void kShotSamplesKPerClassReproducibly() {
        int[] labels = new int[100];
        for (int i = 0; i < labels.length; i++) labels[i] = (i * 7) % 5;
        for (int k : FewShotSampler.STANDARD_SHOTS) {
            int[] a = FewShotSampler.sample(labels, 5, k, 42), b = FewShotSampler.sample(labels, 5, k, 42);
            assertArrayEquals(a, b);
            assertEquals(5 * k, a.length);
            for (int c = 0; c < 5; c++) {
                for (int i = 0; i < k; i++) assertEquals(c, labels[a[c * k + i]]);
            }
            assertEquals(a.length, Arrays.stream(a).distinct().count());
        }
        assertFalse(Arrays.equals(FewShotSampler.sample(labels, 5, 8, 1), FewShotSampler.sample(labels, 5, 8, 2)));
        var ex = assertThrows(IllegalArgumentException.class, () -> FewShotSampler.sample(labels, 5, 21, 1));
        assertTrue(ex.getMessage().contains("fewer than k"));
    }

    @Test
    void stratifiedSplitCoversEverySampleOnce() {
        int[] labels = {0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2};
        int[][] s = FewShotSampler.stratifiedSplit(labels, 3, 0.25, 9);
        int[] all = new int[s[0].length + s[1].length];
        System.arraycopy(s[0], 0, all, 0, s[0].length);
        System.arraycopy(s[1], 0, all, s[0].length, s[1].length);
        Arrays.sort(all);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, all);
        for (int c = 0; c < 3; c++) {
            int cc = c;
            assertTrue(Arrays.stream(s[1]).anyMatch(i -> labels[i] == cc), "class " + c + " in validation");
        }
    }

    @Test
    void searchFollowsTheBisectionByHand() {
        // score peaked at log10 C = 1.3. Coarse grid best: 10² (distance 0.7). Rounds (step 1, ½, ¼, ⅛):
        // {1, 3} → 1; {0.5, 1.5} → 1.5; {1.25, 1.75} → 1.25; {1.125, 1.375} → stays 1.25.
        var opts = new RegularizationSearch.Options(-6, 6, 2, 4, Lbfgs.Options.defaults());
        var r = RegularizationSearch.search(c -> -Math.abs(Math.log10(c) - 1.3), opts);
        assertEquals(Math.pow(10, 1.25), r.bestC(), 1e-9);
        assertEquals(-0.05, r.bestValidationAccuracy(), 1e-12);
        double[] tried = r.trials().stream().mapToDouble(t -> Math.log10(t.c())).toArray();
        assertArrayEquals(new double[] {-6, -4, -2, 0, 2, 4, 6, 1, 3, 0.5, 1.5, 1.25, 1.75, 1.125, 1.375}, tried, 1e-12);
    }

    @Test
    void searchStaysInsideTheRangeAndPrefersSmallerCOnTies() {
        var opts = new RegularizationSearch.Options(-6, 6, 2, 2, Lbfgs.Options.defaults());
        var r = RegularizationSearch.search(c -> 1.0, opts);
        assertEquals(1e-6, r.bestC(), 1e-18);
        assertTrue(r.trials().stream().allMatch(t -> t.c() >= 1e-6 * (1 - 1e-12) && t.c() <= 1e6 * (1 + 1e-12)));
    }

    @Test
    void searchTriesTheCoarseGridThenRefinesAroundTheBest() {
        ProbeFixtures d = ProbeFixtures.blobs(12, 3, 6, 0.9, 21);
        List<String> names = List.of("a", "b", "c");
        var opts = new RegularizationSearch.Options(-6, 6, 2, 3, new Lbfgs.Options(200, 10, 1e-6, 1e-10));
        RegularizationSearch.Fit fit = RegularizationSearch.fit(d.x, d.y, names, 0.3, 5, opts);
        var trials = fit.search().trials();
        double[] coarse = trials.subList(0, 7).stream().mapToDouble(RegularizationSearch.Trial::c).toArray();
        for (int i = 0; i < 7; i++) assertEquals(Math.pow(10, -6 + 2 * i), coarse[i], coarse[i] * 1e-12);
        assertTrue(trials.size() > 7 && trials.size() <= 7 + 2 * 3);
        double best = trials.stream().mapToDouble(RegularizationSearch.Trial::validationAccuracy).max().orElseThrow();
        assertEquals(best, fit.search().bestValidationAccuracy());
        assertTrue(trials.stream().anyMatch(t -> t.c() == fit.search().bestC() && t.validationAccuracy() == best));
        assertEquals(fit.search().bestC(), fit.probe().c());
        // refinement points lie strictly between coarse grid points near the winner
        for (var t : trials.subList(7, trials.size())) {
            double e = Math.log10(t.c());
            assertNotEquals(0, Math.abs(e - Math.rint(e / 2) * 2), 1e-9);
        }
    }
}
