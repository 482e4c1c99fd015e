package io.flinkclip.model.image;

import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import java.awt.color.ColorSpace;
import java.awt.color.ICC_ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Decodes the first image of a file with javax.imageio and hands back its raw raster (sample values as stored
 * in the file: palette indices, unscaled low bit depths, 16-bit samples), never colour-managed RGB. A warning
 * that the data ended early (a truncated JPEG, which ImageIO would otherwise pad with grey) is an error, as it
 * is in Pillow; other warnings (e.g. libjpeg's "extraneous bytes", an invalid ICC profile) are not, as in Pillow.
 */
final class RasterReader {
    private RasterReader() {}

    static Raster read(String format, byte[] bytes) {
        ImageReader reader = jdkReader(format);
        List<String> warnings = new ArrayList<>();
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(in, true, true);
            reader.addIIOReadWarningListener((source, message) -> warnings.add(message));
            BufferedImage image = reader.read(0, paramWithoutColourConversion(reader));
            for (String w : warnings) {
                String lower = String.valueOf(w).toLowerCase(java.util.Locale.ROOT);
                if (lower.contains("truncated") || lower.contains("premature end") || lower.contains("missing eoi")) {
                    throw new ImageDecodeException(format + " data is truncated: " + w);
                }
            }
            return image.getRaster();
        } catch (ImageDecodeException e) {
            throw e;
        } catch (IIOException e) {
            throw new ImageDecodeException(format + " data is corrupt or truncated: " + describe(e), e);
        } catch (IOException | RuntimeException e) {
            throw new ImageDecodeException(format + " data cannot be decoded: " + describe(e), e);
        } finally {
            reader.dispose();
        }
    }

    /**
     * The JDK's own reader for the format. Other ImageIO plugins on the classpath (a Flink job may bring some)
     * can register readers for the same format that colour-manage or decode differently, so they are only used
     * when the JDK has none.
     */
    private static ImageReader jdkReader(String format) {
        ImageReader fallback = null;
        for (Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName(format); it.hasNext(); ) {
            ImageReader r = it.next();
            if (r.getClass().getName().startsWith("com.sun.imageio.plugins.")) {
                if (fallback != null) fallback.dispose();
                return r;
            }
            if (fallback == null) fallback = r; else r.dispose();
        }
        if (fallback == null) throw new ImageDecodeException("no " + format + " decoder available");
        return fallback;
    }

    /**
     * ImageIO's JPEG reader converts pixels from an embedded ICC profile to sRGB when it decodes into its default
     * sRGB image; Pillow never does. Asking for the image type that carries the embedded profile itself keeps
     * libjpeg's output untouched.
     */
    private static ImageReadParam paramWithoutColourConversion(ImageReader reader) throws IOException {
        ImageReadParam param = reader.getDefaultReadParam();
        for (Iterator<ImageTypeSpecifier> it = reader.getImageTypes(0); it.hasNext(); ) {
            ImageTypeSpecifier type = it.next();
            ColorSpace cs = type.getColorModel().getColorSpace();
            if (cs instanceof ICC_ColorSpace && !isStandard(cs)
                    && type.getNumBands() == cs.getNumComponents() + (type.getColorModel().hasAlpha() ? 1 : 0)) {
                param.setDestinationType(type);
                break;
            }
        }
        return param;
    }

    private static boolean isStandard(ColorSpace cs) {
        for (int id : new int[] {ColorSpace.CS_sRGB, ColorSpace.CS_GRAY, ColorSpace.CS_LINEAR_RGB}) {
            if (cs == ColorSpace.getInstance(id)) return true;
        }
        return cs.isCS_sRGB();
    }

    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(message(e));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            sb.append(" (").append(message(c)).append(')');
        }
        return sb.toString();
    }

    private static String message(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /**
     * The first {@code bands} bands of every pixel, interleaved, each sample mapped through {@code lut}
     * (sample value → byte); the raster must be at least w×h with that many bands.
     */
    static byte[] interleaved(Raster r, int w, int h, int bands, byte[] lut) {
        if (r.getWidth() < w || r.getHeight() < h || r.getNumBands() < bands) {
            throw new ImageDecodeException("decoder returned " + r.getWidth() + "x" + r.getHeight() + "x"
                    + r.getNumBands() + ", expected " + w + "x" + h + "x" + bands);
        }
        byte[] out = new byte[w * h * bands];
        if (lut == null && r.getDataBuffer() instanceof DataBufferByte db && db.getNumBanks() == 1
                && r.getSampleModel() instanceof ComponentSampleModel sm
                && r.getSampleModelTranslateX() == 0 && r.getSampleModelTranslateY() == 0 && r.getMinX() == 0
                && r.getMinY() == 0 && sm.getSampleSize(0) == 8) {
            byte[] d = db.getData();
            int ps = sm.getPixelStride(), ss = sm.getScanlineStride();
            int[] bo = sm.getBandOffsets();
            int o = 0;
            for (int y = 0; y < h; y++) {
                int row = db.getOffset() + y * ss;
                for (int x = 0; x < w; x++) {
                    int p = row + x * ps;
                    for (int b = 0; b < bands; b++) out[o++] = d[p + bo[b]];
                }
            }
            return out;
        }
        int nb = r.getNumBands();
        int[] row = new int[w * nb];
        int o = 0;
        for (int y = 0; y < h; y++) {
            r.getPixels(r.getMinX(), r.getMinY() + y, w, 1, row);
            for (int x = 0; x < w; x++) {
                for (int b = 0; b < bands; b++) {
                    int v = row[x * nb + b];
                    out[o++] = lut == null ? (byte) v : lut[v];
                }
            }
        }
        return out;
    }

    /** A lookup table scaling {@code bits}-bit samples to 0..255 as Pillow's unpackers do: v·255/max. */
    static byte[] scaleLut(int bits) {
        int max = (1 << bits) - 1;
        byte[] lut = new byte[max + 1];
        for (int v = 0; v <= max; v++) lut[v] = (byte) (v * 255 / max);
        return lut;
    }

    /** Lookup table taking the high byte of 16-bit samples (Pillow's "RGB;16B" style unpackers). */
    static byte[] highByteLut() {
        byte[] lut = new byte[65536];
        for (int v = 0; v < lut.length; v++) lut[v] = (byte) (v >> 8);
        return lut;
    }
}
