package io.crisp.core.oci;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.List;

/** The pod's DNS configuration (CRI {@code DNSConfig}); all empty means "use the host's resolv.conf". */
public record DnsSettings(List<String> servers, List<String> searches, List<String> options) {
    public static final DnsSettings NONE = new DnsSettings(List.of(), List.of(), List.of());

    public DnsSettings {
        servers = servers == null ? List.of() : List.copyOf(servers);
        searches = searches == null ? List.of() : List.copyOf(searches);
        options = options == null ? List.of() : List.copyOf(options);
    }

    @JsonIgnore
    public boolean isEmpty() {
        return servers.isEmpty() && searches.isEmpty() && options.isEmpty();
    }
}
