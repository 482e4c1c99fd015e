package io.flinkclip.io.convert;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** model-io must work, and fail clearly for remote URIs, when flink-core is absent (it is an optional dependency). */
class WithoutFlinkTest {
    @Test
    void remoteUriWithoutFlinkCoreIsAClearError() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!new File(e).getName().startsWith("flink-")) urls.add(new File(e).toURI().toURL());
        }
        try (URLClassLoader cl = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
            assertNull(cl.getResource("org/apache/flink/core/fs/FileSystem.class"), "flink-core must be hidden");
            Class<?> loc = Class.forName(ModelLocation.class.getName(), true, cl);
            assertEquals(false, loc.getMethod("flinkAvailable").invoke(null));
            Method open = loc.getMethod("open", String.class);
            InvocationTargetException e = assertThrows(InvocationTargetException.class, () -> open.invoke(null, "s3://bucket/model.fclip"));
            assertEquals("io.flinkclip.io.ClipFormatException", e.getCause().getClass().getName());
            assertTrue(e.getCause().getMessage().contains("flink-core"), e.getCause().getMessage());
        }
    }
}
