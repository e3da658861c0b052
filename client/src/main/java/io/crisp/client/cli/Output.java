package io.crisp.client.cli;

/** What {@code -o/--output} of a listing command prints: aligned columns, or the CRI objects as JSON. */
public enum Output {
    table,
    json
}
