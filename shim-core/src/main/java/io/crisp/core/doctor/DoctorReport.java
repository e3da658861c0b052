package io.crisp.core.doctor;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.NodeCheck;
import java.io.PrintStream;
import java.util.List;
import java.util.stream.Stream;

/**
 * What {@code crisp doctor} found: the node's shared checks and each handler's. The node can run
 * pods on the default handler when neither the node's checks nor that handler's failed; the exit
 * code says only that. A failing handler that is not the default is reported, not counted.
 *
 * @param source where the configuration came from, for the heading
 */
public record DoctorReport(String source, List<NodeCheck> node, List<HandlerChecks> handlers) {
    /** One handler's checks, as its backend listed them ({@code Handler.checks()}, the same list behind its Status). */
    public record HandlerChecks(String name, String plugin, String pluginVersion, boolean isDefault, List<NodeCheck> checks) {
        public HandlerChecks {
            requireNonNull(name, "name is null");
            checks = List.copyOf(checks);
        }

        boolean failed() {
            return checks.stream().anyMatch(NodeCheck::failed);
        }
    }

    public DoctorReport {
        node = List.copyOf(node);
        handlers = List.copyOf(handlers);
    }

    /** True when pods can run on the default handler: no failure on the node or in that handler. */
    public boolean defaultCanRunPods() {
        return node.stream().noneMatch(NodeCheck::failed) && handlers.stream().filter(HandlerChecks::isDefault).noneMatch(HandlerChecks::failed);
    }

    /** 0 when the default handler can run pods, else {@code failure}. */
    public int exitCode(int failure) {
        return defaultCanRunPods() ? 0 : failure;
    }

    public void print(PrintStream out) {
        out.println("Node (" + source + ")");
        node.forEach(c -> print(out, c));
        for (HandlerChecks h : handlers) {
            out.println();
            out.println("Handler " + h.name() + " (" + (h.isDefault() ? "default; " : "") + "plugin " + h.plugin() + " " + h.pluginVersion() + ")");
            h.checks().forEach(c -> print(out, c));
        }
        out.println();
        String defaultName = handlers.stream().filter(HandlerChecks::isDefault).map(HandlerChecks::name).findFirst().orElse("?");
        if (defaultCanRunPods()) {
            out.println("Result: the default handler '" + defaultName + "' can run pods on this node" + warnings() + ".");
        } else {
            List<String> failed = Stream.concat(node.stream(), handlers.stream().filter(HandlerChecks::isDefault).flatMap(h -> h.checks().stream()))
                    .filter(NodeCheck::failed).map(c -> c.name() + " (" + c.reason() + ")").toList();
            out.println("Result: the default handler '" + defaultName + "' cannot run pods on this node: " + String.join(", ", failed) + ".");
        }
        for (HandlerChecks h : handlers) {
            if (!h.isDefault() && h.failed()) {
                out.println("        handler '" + h.name() + "' cannot run pods: " + h.checks().stream().filter(NodeCheck::failed)
                        .map(c -> c.name() + " (" + c.reason() + ")").reduce((a, b) -> a + ", " + b).orElse("")
                        + "; pods of a RuntimeClass naming it fail. It is not the default handler, so this does not change the exit code.");
            }
        }
    }

    private String warnings() {
        long n = Stream.concat(node.stream(), handlers.stream().flatMap(h -> h.checks().stream()))
                .filter(c -> c.status() == NodeCheck.Status.WARN).count();
        return n == 0 ? "" : " (" + n + " warning" + (n == 1 ? "" : "s") + ")";
    }

    private static void print(PrintStream out, NodeCheck c) {
        out.printf("  %-5s %-22s %s%n", c.status(), c.name(), c.detail());
        if (c.failed()) {
            out.printf("        %-22s %s%n", "reason:", c.reason());
        }
        if (!c.fix().isEmpty()) {
            out.printf("        %-22s %s%n", "fix:", c.fix());
        }
    }
}
