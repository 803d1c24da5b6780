package io.treecast.gateway.internal.security;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** Reads the base64 blocks of a PEM text ({@code -----BEGIN <label>----- ... -----END <label>-----}). */
final class Pem {
    private Pem() {
    }

    /** The DER bytes of every block labelled {@code label}, in order. */
    static List<byte[]> decode(String pem, String label) {
        List<byte[]> out = new ArrayList<>();
        String begin = "-----BEGIN " + label + "-----";
        String end = "-----END " + label + "-----";
        int at = 0;
        while (true) {
            int b = pem.indexOf(begin, at);
            if (b < 0) {
                break;
            }
            int e = pem.indexOf(end, b);
            if (e < 0) {
                throw new IllegalArgumentException("PEM block " + label + " has no END line");
            }
            out.add(Base64.getMimeDecoder().decode(pem.substring(b + begin.length(), e)));
            at = e + end.length();
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no -----BEGIN " + label + "----- block");
        }
        return out;
    }
}
