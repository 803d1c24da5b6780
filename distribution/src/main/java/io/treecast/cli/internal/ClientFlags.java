package io.treecast.cli.internal;

import io.treecast.client.ClientOptions;
import io.treecast.client.TreecastClient;
import picocli.CommandLine.Option;

/** The flags every client command shares: {@code --url}, {@code --token}, {@code --json}. */
public final class ClientFlags {
    @Option(names = "--url", defaultValue = "${env:TREECAST_URL:-tcp://127.0.0.1:7070}",
            description = "Server to talk to: tcp://host:port or ws://host:port/rsocket (default: ${DEFAULT-VALUE}; env TREECAST_URL).")
    public String url;

    @Option(names = "--token", defaultValue = "${env:TREECAST_TOKEN:-}", description = "Auth token, when the server has auth.tokens (env TREECAST_TOKEN).")
    public String token;

    @Option(names = "--json", description = "Machine output: one JSON object per line.")
    public boolean json;

    public TreecastClient connect() {
        return TreecastClient.connect(url, ClientOptions.defaults().token(token == null ? "" : token).clientName("treecast-cli"));
    }
}
