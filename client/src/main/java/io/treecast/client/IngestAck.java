package io.treecast.client;

/**
 * The answer to one batch of an {@code ingest} stream, in order: its seq, or the error that refused it (the
 * stream goes on after a refused batch).
 */
public record IngestAck(long seq, TreecastClientException.Code errorCode, String errorMessage) {
    public boolean isError() {
        return errorCode != null;
    }
}
