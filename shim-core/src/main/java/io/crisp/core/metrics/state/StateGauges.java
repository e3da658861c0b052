package io.crisp.core.metrics.state;

import io.crisp.core.container.Container;
import io.crisp.core.metrics.RuntimeMetrics;
import io.crisp.core.sandbox.Sandbox;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code crisp_sandboxes{state,handler}} and {@code crisp_containers{state,handler}}, counted from the
 * stores when scraped. Every state of every configured handler is listed, with 0 when nothing is in it;
 * a handler that a reload dropped is listed while objects of it remain. A container's handler is its
 * pod's; empty when the pod's record is gone. States are the core's, in lower case
 * ({@code ready}, {@code not_ready}; {@code created}, {@code running}, {@code exited}, {@code unknown}).
 */
public final class StateGauges {
    private final Supplier<Collection<Sandbox>> sandboxes;
    private final Supplier<Collection<Container>> containers;
    private final Supplier<Collection<String>> handlers;
    private final MultiGauge sandboxGauge;
    private final MultiGauge containerGauge;

    private StateGauges(RuntimeMetrics metrics, Supplier<Collection<Sandbox>> sandboxes, Supplier<Collection<Container>> containers,
            Supplier<Collection<String>> handlers) {
        this.sandboxes = sandboxes;
        this.containers = containers;
        this.handlers = handlers;
        this.sandboxGauge = MultiGauge.builder(RuntimeMetrics.SANDBOXES).description("Pod sandboxes by state and handler")
                .register(metrics.registry());
        this.containerGauge = MultiGauge.builder(RuntimeMetrics.CONTAINERS).description("Containers by state and handler")
                .register(metrics.registry());
    }

    /** Registers both gauges and their refresh before every scrape. */
    public static StateGauges register(RuntimeMetrics metrics, Supplier<Collection<Sandbox>> sandboxes,
            Supplier<Collection<Container>> containers, Supplier<Collection<String>> handlers) {
        StateGauges gauges = new StateGauges(metrics, sandboxes, containers, handlers);
        metrics.beforeScrape(gauges::refresh);
        return gauges;
    }

    /** Counts the stores now. */
    public void refresh() {
        Set<String> names = new LinkedHashSet<>(handlers.get());
        Map<String, String> handlerOfPod = new HashMap<>();
        Map<List<String>, Integer> pods = new HashMap<>();
        for (Sandbox s : sandboxes.get()) {
            handlerOfPod.put(s.id(), s.handler());
            names.add(s.handler());
            pods.merge(List.of(label(s.state()), s.handler()), 1, Integer::sum);
        }
        Map<List<String>, Integer> ctrs = new HashMap<>();
        for (Container c : containers.get()) {
            String handler = handlerOfPod.getOrDefault(c.sandboxId(), "");
            ctrs.merge(List.of(label(c.state()), handler), 1, Integer::sum);
        }
        sandboxGauge.register(rows(Sandbox.State.values(), names, pods), true);
        containerGauge.register(rows(Container.State.values(), names, ctrs), true);
    }

    private static List<MultiGauge.Row<?>> rows(Enum<?>[] states, Set<String> handlers, Map<List<String>, Integer> counts) {
        Map<List<String>, Integer> all = new HashMap<>(counts);
        for (String handler : handlers) {
            for (Enum<?> state : states) {
                all.putIfAbsent(List.of(label(state), handler), 0);
            }
        }
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        all.forEach((key, n) -> rows.add(MultiGauge.Row.of(Tags.of("state", key.get(0), "handler", key.get(1)), n)));
        return rows;
    }

    private static String label(Enum<?> state) {
        return state.name().toLowerCase(Locale.ROOT);
    }
}
