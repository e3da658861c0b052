package io.crisp.plugin.example;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.HandlerConfig;
import io.crisp.spi.HandlerOptions;

/** The example handler's one option, read strictly: unknown keys fail naming the table. */
public record ExampleConfig(String description) {
    static final String DEFAULT_DESCRIPTION = "example backend: runs nothing";

    public ExampleConfig {
        requireNonNull(description, "description is null");
    }

    public static ExampleConfig parse(HandlerConfig config) {
        HandlerOptions options = config.reader();
        ExampleConfig parsed = new ExampleConfig(options.string("description", DEFAULT_DESCRIPTION));
        options.finish();
        return parsed;
    }
}
