package io.flinkclip.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Minimal GNU-style argument parsing: {@code --name value}, {@code --images v1 v2 …} (only the options in
 * {@link #MULTI} take every value up to the next option), {@code --flag}, and positionals. Unknown options
 * are an error so typos never pass silently.
 */
final class Args {
    /** Options that take a list of values. */
    static final Set<String> MULTI = Set.of("images");

    private final Map<String, List<String>> options = new LinkedHashMap<>();
    private final List<String> positionals = new ArrayList<>();

    /**
     * @param flags options that take no value
     * @param known every accepted option (flags included), without the leading dashes
     */
    Args(String[] argv, int from, Set<String> flags, Set<String> known) {
        String current = null;
        for (int i = from; i < argv.length; i++) {
            String a = argv[i];
            if (a.startsWith("--") && a.length() > 2) {
                String name = a.substring(2);
                String inline = null;
                int eq = name.indexOf('=');
                if (eq > 0) { inline = name.substring(eq + 1); name = name.substring(0, eq); }
                if (!known.contains(name)) throw new UsageException("unknown option --" + name);
                options.computeIfAbsent(name, k -> new ArrayList<>());
                if (inline != null) options.get(name).add(inline);
                current = flags.contains(name) || inline != null ? null : name;
            } else if (current != null) {
                options.get(current).add(a);
                if (!MULTI.contains(current)) current = null;
            } else {
                positionals.add(a);
            }
        }
    }

    boolean has(String name) { return options.containsKey(name); }

    String get(String name, String def) {
        List<String> v = options.get(name);
        return v == null || v.isEmpty() ? def : v.getFirst();
    }

    String require(String name) {
        String v = get(name, null);
        if (v == null) throw new UsageException("missing required option --" + name);
        return v;
    }

    Path path(String name) { return Path.of(require(name)); }

    int intValue(String name, int def) {
        String v = get(name, null);
        if (v == null) return def;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " expects an integer, got '" + v + "'");
        }
    }

    List<String> all(String name) { return options.getOrDefault(name, List.of()); }

    List<String> positionals() { return positionals; }

    /** A bad command line: printed as one line with exit code 2. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) { super(message); }
    }
}
