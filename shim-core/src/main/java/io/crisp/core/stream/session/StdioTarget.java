package io.crisp.core.stream.session;

import io.crisp.spi.model.StdioWiring;

/** An exec or attach: a container's process whose stdio the client gets. */
public sealed interface StdioTarget extends StreamTarget permits ExecTarget, AttachTarget {
    String containerId();

    StdioWiring stdio();
}
