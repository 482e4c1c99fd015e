import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs JUnit 5 test classes without Maven (the GPU machine has only the bundled JRE): one line per test with
 * PASS/FAIL/SKIPPED and its time, each failure's message and first stack frames, then
 * "TESTS run=N passed=P failed=F skipped=S". Exit status 1 if anything failed or nothing ran.
 *
 * <p>usage: GpuTests CLASS[#METHOD] ...
 */
public final class GpuTests {
    private static final int FRAMES = 15;

    public static void main(String[] args) {
        List<DiscoverySelector> selectors = new ArrayList<>();
        for (String a : args) selectors.add(a.contains("#") ? DiscoverySelectors.selectMethod(a) : DiscoverySelectors.selectClass(a));
        Launcher launcher = LauncherFactory.create();
        Listener listener = new Listener();
        launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectors).build(), listener);
        int run = listener.passed + listener.failed;
        System.out.printf("TESTS run=%d passed=%d failed=%d skipped=%d%n", run, listener.passed, listener.failed, listener.skipped);
        System.exit(listener.failed > 0 || run == 0 ? 1 : 0);
    }

    static final class Listener implements TestExecutionListener {
        int passed, failed, skipped;
        private TestPlan plan;
        private final Map<String, Long> started = new ConcurrentHashMap<>();

        @Override
        public void testPlanExecutionStarted(TestPlan testPlan) { plan = testPlan; }

        /** "DeviceKernelsTest > gemm...() > [1] tiny-vit, test": the display names from the class down. */
        private String name(TestIdentifier id) {
            StringBuilder sb = new StringBuilder(id.getDisplayName());
            for (var p = plan.getParent(id); p.isPresent() && p.get().getParentId().isPresent(); p = plan.getParent(p.get())) {
                sb.insert(0, p.get().getDisplayName() + " > ");
            }
            return sb.toString();
        }

        @Override
        public void executionStarted(TestIdentifier id) {
            started.put(id.getUniqueId(), System.nanoTime());
            // printed before the test runs, so a hang (killed by `timeout`) shows which test it was
            if (id.isTest()) System.out.println("RUN     " + name(id));
        }

        @Override
        public void executionSkipped(TestIdentifier id, String reason) {
            // a skipped container's tests get no events of their own: count the container once
            skipped++;
            System.out.println("SKIPPED " + name(id) + " (" + reason + ")");
        }

        @Override
        public synchronized void executionFinished(TestIdentifier id, TestExecutionResult result) {
            Long t0 = started.remove(id.getUniqueId());
            String ms = t0 == null ? "" : String.format(" (%d ms)", (System.nanoTime() - t0) / 1_000_000);
            boolean ok = result.getStatus() == TestExecutionResult.Status.SUCCESSFUL;
            if (id.isTest()) {
                if (ok) passed++; else failed++;
                System.out.println((ok ? "PASS    " : "FAIL    ") + name(id) + ms);
            } else if (!ok) {
                // e.g. @BeforeAll could not open the device: its tests never start, so count the class as one failure
                failed++;
                System.out.println("FAIL    " + name(id) + " [container]" + ms);
            }
            result.getThrowable().ifPresent(GpuTests::printFailure);
        }
    }

    private static void printFailure(Throwable t) {
        String prefix = "    ";
        for (int depth = 0; t != null && depth < 4; t = t.getCause(), depth++) {
            System.out.println(prefix + (depth == 0 ? "" : "Caused by: ") + t);
            StackTraceElement[] st = t.getStackTrace();
            for (int i = 0; i < Math.min(FRAMES, st.length); i++) System.out.println(prefix + "  at " + st[i]);
            if (st.length > FRAMES) System.out.println(prefix + "  ... " + (st.length - FRAMES) + " more");
        }
        System.out.flush();
    }
}
