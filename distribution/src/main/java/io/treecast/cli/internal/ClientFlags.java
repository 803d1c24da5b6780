package io.treecast.cli.internal;

import io.treecast.client.ClientOptions;
import io.treecast.client.TreecastClient;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.time.Duration;

/**
 * The flags every client command shares: {@code --url}, {@code --token} / {@code --token-file}, {@code --ca-file},
 * {@code --cert-file} / {@code --key-file}, {@code --json}, {@code --timeout}, {@code -v}/{@code --verbose} and
 * {@code -q}/{@code --quiet}. A token is best passed in the environment or a file: a command line is visible to every
 * user of the machine ({@code ps}).
 */
public final class ClientFlags {
    @Option(names = "--url", defaultValue = "${env:TREECAST_URL:-tcp://127.0.0.1:7070}",
            description = "Server to talk to: tcp://host:port, tls://host:port, ws://host:port/rsocket or wss://host:port/rsocket (default: ${DEFAULT-VALUE}; env TREECAST_URL).")
    public String url;

    @Option(names = "--token", defaultValue = "${env:TREECAST_TOKEN:-}", description = "Auth token, when the server has auth.tokens (env TREECAST_TOKEN).")
    public String token;

    @Option(names = "--token-file", defaultValue = "${env:TREECAST_TOKEN_FILE:-}",
            description = "A file holding the auth token (or a JWT) on its first line; used when --token is not given (env TREECAST_TOKEN_FILE).")
    public String tokenFile;

    @Option(names = "--ca-file", defaultValue = "${env:TREECAST_CA_FILE:-}",
            description = "For tls:// and wss://: PEM certificates of the CA that signed the server's certificate (default: the JDK's trusted CAs; env TREECAST_CA_FILE).")
    public String caFile;

    @Option(names = "--cert-file", defaultValue = "${env:TREECAST_CERT_FILE:-}",
            description = "For servers that ask for client certificates: this client's PEM certificate (env TREECAST_CERT_FILE).")
    public String certFile;

    @Option(names = "--key-file", defaultValue = "${env:TREECAST_KEY_FILE:-}",
            description = "The PEM PKCS#8 key of --cert-file (env TREECAST_KEY_FILE).")
    public String keyFile;

    @Option(names = "--json", description = "Machine output: one JSON object per line (errors too, on stderr).")
    public boolean json;

    /** Seconds to connect and to wait for each answer: a port that is not a Treecast server fails in this time. */
    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "${env:TREECAST_TIMEOUT:-5}",
            description = "Seconds to connect and to wait for each answer (default: ${DEFAULT-VALUE}; env TREECAST_TIMEOUT).")
    public double timeoutSeconds;

    @Option(names = {"-v", "--verbose"}, description = "Log what the client does (connects, reconnects) and print a stack trace with an error.")
    public boolean verbose;

    @Option(names = {"-q", "--quiet"}, description = "Print only data and errors: no ok seq=N, no summary or marker lines.")
    public boolean quiet;

    /** The flags of {@code commandLine}'s command, or null when it has none (not a client command). */
    public static ClientFlags of(CommandLine commandLine) {
        if (commandLine == null) {
            return null;
        }
        for (CommandLine.Model.CommandSpec mixin : commandLine.getCommandSpec().mixins().values()) {
            if (mixin.userObject() instanceof ClientFlags) {
                return (ClientFlags) mixin.userObject();
            }
        }
        return null;
    }

    /** The timeout as a Duration; refuses 0, negatives and NaN. */
    public Duration timeout() {
        if (!(timeoutSeconds > 0) || timeoutSeconds > 86_400) {
            throw new Errors.UsageException("--timeout " + timeoutSeconds + " must be more than 0 and at most 86400 seconds");
        }
        return Duration.ofNanos((long) (timeoutSeconds * 1e9));
    }

    /** The client options these flags describe. */
    public ClientOptions options() {
        Duration t = timeout();
        ClientOptions o = ClientOptions.defaults().token(token()).clientName("treecast-cli")
                .connectTimeout(t).requestTimeout(t);
        if (caFile != null && !caFile.isBlank()) {
            o = o.caFile(java.nio.file.Path.of(caFile));
        }
        if (certFile != null && !certFile.isBlank()) {
            if (keyFile == null || keyFile.isBlank()) {
                throw new Errors.UsageException("--cert-file needs --key-file (the certificate's PEM PKCS#8 key)");
            }
            o = o.clientCertificate(java.nio.file.Path.of(certFile), java.nio.file.Path.of(keyFile));
        }
        return o;
    }

    public TreecastClient connect() {
        return connect(o -> o);
    }

    /** Connects with these flags' options as changed by {@code command} (a command's own client options). */
    public TreecastClient connect(java.util.function.UnaryOperator<ClientOptions> command) {
        Logging.apply(verbose);
        return TreecastClient.connect(url, command.apply(options()));
    }

    /** The message when the server did not answer within the timeout: most often a port that is not Treecast's. */
    String noAnswer() {
        return "no answer from " + url + " within " + formatSeconds(timeoutSeconds) + " s: is it a Treecast server's RSocket "
                + "port (tcp://host:7070, or ws://host:7071/rsocket for WebSocket)? A slow server needs a longer --timeout";
    }

    private static String formatSeconds(double s) {
        return s == Math.rint(s) ? String.valueOf((long) s) : String.valueOf(s);
    }

    private String token() {
        if (token != null && !token.isEmpty()) {
            return token;
        }
        if (tokenFile != null && !tokenFile.isBlank()) {
            try {
                java.util.List<String> lines = java.nio.file.Files.readAllLines(java.nio.file.Path.of(tokenFile));
                return lines.isEmpty() ? "" : lines.get(0).strip();
            } catch (java.io.IOException e) {
                throw new Errors.UsageException("cannot read --token-file " + tokenFile + ": " + e.getMessage());
            }
        }
        return "";
    }
}
