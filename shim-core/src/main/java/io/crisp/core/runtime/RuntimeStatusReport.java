package io.crisp.core.runtime;

import java.util.List;
import java.util.Map;

/** What the CRI {@code Status} call answers; {@code info} is filled only for verbose requests. */
public record RuntimeStatusReport(List<Condition> conditions, List<HandlerReport> handlers, Map<String, String> info) {
    public RuntimeStatusReport {
        conditions = List.copyOf(conditions);
        handlers = List.copyOf(handlers);
        info = Map.copyOf(info);
    }
}
