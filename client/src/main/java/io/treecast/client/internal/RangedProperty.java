package io.treecast.client.internal;

/**
 * A JVM system property that must be a whole number within a range, read when it is needed (a client's connect), so
 * a bad value fails that call with a message naming the property instead of being silently ignored.
 *
 * <pre>{@code
 * long us = RangedProperty.read("treecast.client.publish-linger-us", 0, 0, 10_000, "microseconds");
 * }</pre>
 */
final class RangedProperty {
    private RangedProperty() {
    }

    /**
     * The property's value, or {@code absent} when it is not set.
     *
     * @throws IllegalArgumentException "NAME = VALUE: must be MIN..MAX (WHAT)" when it is not a whole number in range
     */
    static long read(String name, long absent, long min, long max, String what) {
        String value = System.getProperty(name);
        if (value == null) {
            return absent;
        }
        long n;
        try {
            n = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            n = min - 1;
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(name + " = " + value + ": must be " + min + ".." + max + " (" + what + ")");
        }
        return n;
    }
}
