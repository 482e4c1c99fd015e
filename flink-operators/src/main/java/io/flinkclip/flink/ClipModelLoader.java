package io.flinkclip.flink;

import io.flinkclip.model.Clip;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Iterator;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/** Resolves a model location to a {@link Clip} through the {@link ClipModelProvider}s on the class path. */
public final class ClipModelLoader {
    private ClipModelLoader() {}

    public static Clip load(String location) {
        if (location == null || location.isBlank()) throw new IllegalArgumentException("no CLIP model location given (set 'clip.model')");
        List<ClipModelProvider> providers = providers();
        for (ClipModelProvider p : providers) {
            if (p.supports(location)) return p.load(location);
        }
        List<String> names = providers.stream().map(p -> p.getClass().getName()).toList();
        throw new IllegalArgumentException("no ClipModelProvider supports model location '" + location + "' (providers found: " + names + ")");
    }

    /**
     * Providers visible to this library's class loader and to the thread's context class loader. Both are
     * needed: in a plugin jar loaded by CREATE FUNCTION ... USING JAR, our own loader sees the bundled
     * providers while the context loader sees the job's.
     */
    static List<ClipModelProvider> providers() {
        Map<String, ClipModelProvider> found = new LinkedHashMap<>();
        List<ClassLoader> loaders = new ArrayList<>();
        loaders.add(ClipModelLoader.class.getClassLoader());
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (context != null) loaders.add(context);
        for (ClassLoader cl : loaders) {
            Iterator<ClipModelProvider> it = ServiceLoader.load(ClipModelProvider.class, cl).iterator();
            while (true) {
                try {
                    if (!it.hasNext()) break;
                    ClipModelProvider p = it.next();
                    found.putIfAbsent(p.getClass().getName(), p);
                } catch (ServiceConfigurationError e) {
                    // A provider registered through another class loader (e.g. the job's, seen from a plugin jar
                    // loaded child-first) implements a different copy of the interface: not usable from here.
                }
            }
        }
        return new ArrayList<>(found.values());
    }
}
