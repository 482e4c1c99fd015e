package io.flinkclip.model.text;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Data behind the ftfy port, read from two resources: the single-byte code pages ftfy tries (in its order,
 * with its "sloppy" variants) and the character classes of its mojibake heuristic.
 */
final class FtfyTables {
    /** Encoding name → byte → code point (−1 where the encoding leaves the byte undefined). */
    static final Map<String, int[]> CODE_PAGES;
    /** Class name → regex character-class body (without brackets). */
    static final Map<String, String> CLASSES;
    /** Class name → its code points. */
    static final Map<String, java.util.BitSet> CLASS_SETS;

    static {
        Map<String, int[]> pages = new LinkedHashMap<>();
        for (String[] row : rows("ftfy-codepages.tsv")) {
            String[] cells = row[1].split(" ");
            if (cells.length != 256) throw new IllegalStateException("code page " + row[0] + " has " + cells.length + " bytes");
            int[] table = new int[256];
            for (int b = 0; b < 256; b++) table[b] = cells[b].equals("-") ? -1 : Integer.parseInt(cells[b], 16);
            pages.put(row[0], table);
        }
        CODE_PAGES = Map.copyOf(pages);
        Map<String, String> classes = new LinkedHashMap<>();
        Map<String, java.util.BitSet> sets = new LinkedHashMap<>();
        for (String[] row : rows("ftfy-charclasses.tsv")) {
            StringBuilder body = new StringBuilder();
            java.util.BitSet set = new java.util.BitSet();
            for (String item : row[1].split(" ")) {
                int dash = item.indexOf('-');
                if (dash < 0) {
                    body.append("\\x{").append(item).append('}');
                    set.set(Integer.parseInt(item, 16));
                } else {
                    body.append("\\x{").append(item, 0, dash).append("}-\\x{").append(item.substring(dash + 1)).append('}');
                    set.set(Integer.parseInt(item.substring(0, dash), 16), Integer.parseInt(item.substring(dash + 1), 16) + 1);
                }
            }
            classes.put(row[0], body.toString());
            sets.put(row[0], set);
        }
        CLASSES = Map.copyOf(classes);
        CLASS_SETS = Map.copyOf(sets);
    }

    private FtfyTables() {}

    static int[] page(String name) {
        int[] p = CODE_PAGES.get(name);
        if (p == null) throw new IllegalStateException("no code page " + name);
        return p;
    }

    private static Iterable<String[]> rows(String resource) {
        java.util.List<String[]> out = new java.util.ArrayList<>();
        try (InputStream in = FtfyTables.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing resource " + resource);
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isEmpty() || line.startsWith("#")) continue;
                int tab = line.indexOf('\t');
                out.add(new String[] {line.substring(0, tab), line.substring(tab + 1)});
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
        return out;
    }
}
