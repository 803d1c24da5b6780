package io.treecast.gateway.internal.security;

/** Who a connection is: its principal's name, how it was proven, and what came with the proof. */
public final class Identity {
    /** The principal of connections to a server that asks for no credentials. */
    public static final String ANONYMOUS = "anonymous";

    public final String principal;
    /** "token", "jwt", "certificate" or "none". */
    public final String source;
    /** Epoch milliseconds when the credential expires (a JWT's exp), or 0. */
    public final long expiresAtMillis;
    /** Rules carried by the credential (a JWT claim), used instead of the rules file's; or null. */
    public final AccessRules.Entry claimRules;

    public Identity(String principal, String source, long expiresAtMillis, AccessRules.Entry claimRules) {
        this.principal = principal;
        this.source = source;
        this.expiresAtMillis = expiresAtMillis;
        this.claimRules = claimRules;
    }

    @Override
    public String toString() {
        return "principal '" + principal + "' (" + source + ")";
    }
}
