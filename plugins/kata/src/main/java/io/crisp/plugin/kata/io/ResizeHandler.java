package io.crisp.plugin.kata.io;

/** Sets a process's terminal size; the backend supplies it (it calls the shim's ResizePty). */
@FunctionalInterface
public interface ResizeHandler {
    /** Does nothing. */
    ResizeHandler NONE = (width, height) -> { };

    void resize(int width, int height);
}
