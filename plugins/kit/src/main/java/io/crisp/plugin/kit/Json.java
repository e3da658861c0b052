package io.crisp.plugin.kit;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A plugin's one Jackson {@link ObjectMapper} (each plugin JAR holds its own copy of the kit, so one
 * per plugin), in its default configuration: runtime state and features, conmon's replies, start
 * records and the backends' own hook files all share it. Thread-safe once built; never reconfigure
 * it: a use needing other settings takes an {@code ObjectReader} or {@code ObjectWriter} from it.
 */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}
}
