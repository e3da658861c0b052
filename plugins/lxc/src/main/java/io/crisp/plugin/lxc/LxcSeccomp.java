package io.crisp.plugin.lxc;

import com.fasterxml.jackson.databind.JsonNode;
import io.crisp.spi.BackendException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * OCI {@code linux.seccomp} translated into LXC's seccomp policy format, version 2:
 *
 * <pre>
 * 2
 * denylist | allowlist ACTION      (the default action: allow for a denylist, ACTION otherwise)
 * [all]                            (the native architecture and its compat ones)
 * NAME ACTION [INDEX,VALUE,OP] [INDEX,VALUE,SCMP_CMP_MASKED_EQ,VALUETWO] ...
 * </pre>
 *
 * One line per syscall name of each OCI rule, the rule's conditions as LXC argument tuples (LXC hands
 * {@code value} and {@code valueTwo} to libseccomp in the OCI order). Rules whose action is the
 * default action are left out: libseccomp refuses them.
 */
final class LxcSeccomp {
    private static final Set<String> OPERATORS = Set.of("SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
            "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ");
    private static final int EPERM = 1;

    private LxcSeccomp() {}

    /** The policy for {@code seccomp} (config.json's linux.seccomp), empty when there is none. */
    static Optional<String> policy(String id, JsonNode seccomp) {
        if (seccomp == null || seccomp.isMissingNode() || seccomp.isNull()) {
            return Optional.empty();
        }
        String field = "container " + id + ": linux.seccomp";
        if (!seccomp.path("defaultAction").isTextual()) {
            throw BackendException.invalidArgument("%s.defaultAction is missing", field);
        }
        if (seccomp.has("listenerPath") && !seccomp.path("listenerPath").asText("").isEmpty()) {
            throw new BackendException(BackendException.Kind.UNIMPLEMENTED,
                    field + ".listenerPath: seccomp user notification is not supported by the LXC backend");
        }
        String defaultAction = action(field + ".defaultAction", seccomp.path("defaultAction").asText(),
                seccomp.path("defaultErrnoRet"));
        List<String> lines = new ArrayList<>();
        lines.add("2");
        lines.add(defaultAction.equals("allow") ? "denylist" : "allowlist " + defaultAction);
        lines.add("[all]");
        int i = 0;
        for (JsonNode rule : seccomp.path("syscalls")) {
            String ruleField = field + ".syscalls[" + i++ + "]";
            String action = action(ruleField + ".action", rule.path("action").asText(""), rule.path("errnoRet"));
            if (action.equals(defaultAction)) {
                continue;
            }
            String args = arguments(ruleField, rule.path("args"));
            for (JsonNode name : rule.path("names")) {
                String syscall = name.asText("");
                if (!syscall.matches("[a-z0-9_]+")) {
                    throw BackendException.invalidArgument("%s.names: '%s' is not a syscall name", ruleField, syscall);
                }
                lines.add(syscall + " " + action + args);
            }
        }
        return Optional.of(String.join("\n", lines) + "\n");
    }

    /** An OCI action as LXC writes it: allow, kill, trap, log, errno N, trace N. */
    static String action(String field, String action, JsonNode errnoRet) {
        return switch (action) {
            case "SCMP_ACT_ALLOW" -> "allow";
            case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS" -> "kill";
            case "SCMP_ACT_TRAP" -> "trap";
            case "SCMP_ACT_LOG" -> "log";
            case "SCMP_ACT_ERRNO" -> "errno " + (errnoRet.canConvertToInt() ? errnoRet.asInt() : EPERM);
            case "SCMP_ACT_TRACE" -> "trace " + (errnoRet.canConvertToInt() ? errnoRet.asInt() : EPERM);
            case "SCMP_ACT_NOTIFY" -> throw new BackendException(BackendException.Kind.UNIMPLEMENTED,
                    field + ": SCMP_ACT_NOTIFY is not supported by the LXC backend");
            default -> throw BackendException.invalidArgument("%s: unknown seccomp action '%s'", field, action);
        };
    }

    private static String arguments(String field, JsonNode args) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        for (JsonNode arg : args) {
            String argField = field + ".args[" + i++ + "]";
            String op = arg.path("op").asText("").toUpperCase(Locale.ROOT);
            if (!OPERATORS.contains(op)) {
                throw BackendException.invalidArgument("%s.op: unknown operator '%s'", argField, arg.path("op").asText(""));
            }
            if (!arg.path("index").canConvertToInt() || arg.path("index").asInt() < 0 || arg.path("index").asInt() > 5) {
                throw BackendException.invalidArgument("%s.index must be 0..5", argField);
            }
            out.append(" [").append(arg.path("index").asInt()).append(',').append(unsigned(arg.path("value")))
                    .append(',').append(op);
            if (op.equals("SCMP_CMP_MASKED_EQ")) {
                out.append(',').append(unsigned(arg.path("valueTwo")));
            }
            out.append(']');
        }
        return out.toString();
    }

    /** A uint64 as LXC parses it (strtoull): JSON numbers above Long.MAX_VALUE arrive as BigInteger. */
    private static String unsigned(JsonNode value) {
        if (value.isMissingNode() || value.isNull()) {
            return "0";
        }
        return value.isBigInteger() ? value.bigIntegerValue().toString() : Long.toUnsignedString(value.asLong());
    }
}
