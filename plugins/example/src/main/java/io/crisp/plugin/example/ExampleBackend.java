package io.crisp.plugin.example;

import io.crisp.spi.Capability;
import io.crisp.spi.RuntimeBackend;
import java.util.Map;
import java.util.Set;

/** A backend with no capabilities: it only describes itself. */
final class ExampleBackend implements RuntimeBackend {
    private final ExampleConfig config;
    private final String handler;

    ExampleBackend(ExampleConfig config, String handler) {
        this.config = config;
        this.handler = handler;
    }

    @Override
    public Set<Capability> capabilities() {
        return Set.of();
    }

    @Override
    public Map<String, String> describe() {
        return Map.of("description", config.description(), "handler", handler);
    }

    @Override
    public void close() {}
}
