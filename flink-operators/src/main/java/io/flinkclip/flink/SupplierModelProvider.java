package io.flinkclip.flink;

import io.flinkclip.model.Clip;

import java.util.function.Supplier;

/**
 * Locations of the form {@code supplier:<class name>}: the class must have a public no-argument constructor
 * and implement {@code Supplier<Clip>}. This is the seam for models built in process (a bundled tiny model,
 * a generated demo model) that have no file location.
 */
public final class SupplierModelProvider implements ClipModelProvider {
    public static final String SCHEME = "supplier:";

    @Override
    public boolean supports(String location) { return location.startsWith(SCHEME); }

    @Override
    public Clip load(String location) {
        String className = location.substring(SCHEME.length()).trim();
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        if (cl == null) cl = SupplierModelProvider.class.getClassLoader();
        Object instance;
        try {
            instance = Class.forName(className, true, cl).getConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalArgumentException("cannot instantiate model supplier '" + className + "' for location '" + location + "'", e);
        }
        if (!(instance instanceof Supplier<?> supplier)) {
            throw new IllegalArgumentException("model supplier '" + className + "' does not implement java.util.function.Supplier<Clip>");
        }
        Object clip = supplier.get();
        if (!(clip instanceof Clip c)) {
            throw new IllegalArgumentException("model supplier '" + className + "' returned " + (clip == null ? "null" : clip.getClass().getName()) + ", not a Clip");
        }
        return c;
    }
}
