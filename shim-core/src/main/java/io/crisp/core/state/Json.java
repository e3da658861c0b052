package io.crisp.core.state;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The daemon's one Jackson {@link ObjectMapper}, in its default configuration: every reader and
 * writer of JSON in the core (records, OCI specs, CNI, registries, policies, verbose info) shares it
 * and its caches. It is thread-safe once built; never reconfigure it: a use that needs other settings
 * takes an {@code ObjectReader} or {@code ObjectWriter} from it ({@code MAPPER.readerFor(...).without(...)}).
 */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}
}
