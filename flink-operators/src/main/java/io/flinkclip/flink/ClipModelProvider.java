package io.flinkclip.flink;

import io.flinkclip.model.Clip;

/**
 * Service-provider interface that turns a model location (as written in job parameters, SQL options and
 * control messages) into a loaded {@link Clip}. Implementations are found with {@link java.util.ServiceLoader}
 * ({@code META-INF/services/io.flinkclip.flink.ClipModelProvider}); the first one that {@link #supports}
 * a location loads it. This keeps the operators independent of how and where models are stored.
 */
public interface ClipModelProvider {
    /** Whether this provider understands the location (usually decided by a scheme prefix). */
    boolean supports(String location);

    /** Loads the model; throws an exception naming the location when it cannot. */
    Clip load(String location);
}
