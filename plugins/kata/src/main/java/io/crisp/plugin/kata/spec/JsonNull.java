package io.crisp.plugin.kata.spec;

/** JSON {@code null} in a parsed tree, so a value that was null stays in its map or list and writes back. */
public enum JsonNull {
    NULL;

    @Override
    public String toString() {
        return "null";
    }
}
