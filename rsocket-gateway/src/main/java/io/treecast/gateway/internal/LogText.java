package io.treecast.gateway.internal;

/**
 * Makes a client-supplied string safe to put in a log line: control characters (newlines above all, which would
 * let a client forge log lines) become {@code \n}, {@code \r}, {@code \t} or {@code \\uXXXX}, backslashes are
 * doubled so the escaping cannot be imitated, and the result is cut at a bound so that one client cannot write
 * megabyte log lines.
 */
public final class LogText {
    /** Characters of a client string kept in a log line (client_name, paths, patterns). */
    public static final int MAX_CHARS = 128;

    private LogText() {
    }

    /** {@link #escape(CharSequence, int)} with {@link #MAX_CHARS}. */
    public static String escape(CharSequence s) {
        return escape(s, MAX_CHARS);
    }

    /**
     * {@code s} with control characters escaped, cut after {@code maxChars} input characters with
     * {@code "...(N chars)"} appended, so a reader sees that it was cut and how long it was. {@code null} is "null".
     */
    public static String escape(CharSequence s, int maxChars) {
        if (s == null) {
            return "null";
        }
        int n = Math.min(s.length(), maxChars);
        StringBuilder b = new StringBuilder(n + 16);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                case '\\': b.append("\\\\"); break;
                default:
                    // C0, DEL, C1 controls and the Unicode line/paragraph separators: all can break or fake a line
                    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029') {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        if (s.length() > maxChars) {
            b.append("...(").append(s.length()).append(" chars)");
        }
        return b.toString();
    }
}
