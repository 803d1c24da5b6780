package io.treecast.cli.internal;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.treecast.client.LeafChange;
import io.treecast.client.TreeValue;

import java.util.Base64;
import java.util.Locale;

/** Parsing values typed on the command line and printing values and leaves as text or JSON. */
public final class Values {
    private Values() {
    }

    /**
     * {@code type} null/"auto": true/false become BOOL, an integer INT, a decimal number DOUBLE, anything else
     * STRING. Otherwise one of string, int, double, bool, bytes (base64).
     */
    public static TreeValue parse(String text, String type) {
        String t = type == null ? "auto" : type.toLowerCase(Locale.ROOT);
        try {
            switch (t) {
                case "string": return TreeValue.of(text);
                case "int": return TreeValue.of(Long.parseLong(text.trim()));
                case "double": return TreeValue.of(Double.parseDouble(text.trim()));
                case "bool":
                    if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
                        return TreeValue.of(Boolean.parseBoolean(text));
                    }
                    throw new IllegalArgumentException();
                case "bytes": return TreeValue.of(Base64.getDecoder().decode(text.trim()));
                case "auto": return auto(text);
                default:
                    throw new Errors.UsageException("--type " + type + " is unknown: use string, int, double, bool or bytes");
            }
        } catch (IllegalArgumentException e) {
            if (e instanceof Errors.UsageException) {
                throw e;
            }
            throw new Errors.UsageException("value '" + text + "' is not a valid " + t
                    + (t.equals("bytes") ? " (base64, e.g. aGVsbG8=)" : "") + ": fix the value or change --type");
        }
    }

    private static TreeValue auto(String text) {
        if (text.equals("true") || text.equals("false")) {
            return TreeValue.of(Boolean.parseBoolean(text));
        }
        if (text.matches("[+-]?\\d{1,18}")) {
            return TreeValue.of(Long.parseLong(text));
        }
        // An integer too long for 64 bits stays a string rather than silently losing digits as a double.
        if (text.matches("[+-]?(\\d+\\.\\d*|\\.\\d+|\\d+[eE][+-]?\\d+|\\d+\\.\\d*[eE][+-]?\\d+)")) {
            return TreeValue.of(Double.parseDouble(text));
        }
        return TreeValue.of(text);
    }

    /** The text form: strings as they are, bytes as base64. */
    public static String text(TreeValue v) {
        return v.kind() == TreeValue.Kind.BYTES ? Base64.getEncoder().encodeToString(v.asBytes()) : v.asString();
    }

    /** The JSON form: a string, a number, a boolean, bytes as a base64 string, null for a delete. */
    public static String json(TreeValue v) {
        if (v == null) {
            return "null";
        }
        switch (v.kind()) {
            case INT:
            case BOOL:
                return v.asString();
            case DOUBLE:
                double d = v.asDouble();
                return Double.isFinite(d) ? v.asString() : quote(v.asString());
            case BYTES:
                return quote(text(v));
            default:
                return quote(v.asString());
        }
    }

    /** {@code "path":..,"value":..,"type":..,"seq":..} without braces. */
    public static String leafFields(LeafChange c) {
        return "\"path\":" + quote(c.path()) + ",\"value\":" + json(c.value()) + ",\"type\":"
                + (c.value() == null ? "null" : quote(c.value().kind().name().toLowerCase(Locale.ROOT))) + ",\"seq\":" + c.seq();
    }

    /** One human line: {@code path = value} (or {@code path deleted}). */
    public static String leafText(LeafChange c) {
        return c.value() == null ? c.path() + " deleted" : c.path() + " = " + text(c.value());
    }

    /** {@code s} as a JSON string, quotes included. */
    public static String quote(String s) {
        return '"' + new String(JsonStringEncoder.getInstance().quoteAsString(s)) + '"';
    }
}
