package io.crisp.plugin.kit.seccomp;

import com.fasterxml.jackson.databind.JsonNode;
import io.crisp.spi.BackendException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Compiles the OCI runtime spec's {@code linux.seccomp} object into a classic BPF program for
 * seccomp(SECCOMP_SET_MODE_FILTER), with the effect runc's (libseccomp's) filter has on x86_64:
 *
 * <ol>
 *   <li>a call from another architecture than x86_64 (i386's int 0x80, for one) and an x32 call
 *       (number with bit 0x40000000) are killed (libseccomp's default bad-architecture action):
 *       only the native table is compiled, whatever else {@code architectures} lists;</li>
 *   <li>then each rule in the profile's order, each of its syscalls: the number, then its argument
 *       conditions (all must hold; 64-bit values compared as two 32-bit words), then the rule's
 *       action; the first rule that matches decides;</li>
 *   <li>the default action.</li>
 * </ol>
 *
 * As runc does: a rule whose action is the default action is left out, a rule with several
 * conditions on one argument becomes one rule per condition (either may match), and syscall names
 * x86_64 does not know are skipped. Refused, naming the field: another native architecture, an
 * unknown action or operator, SCMP_ACT_NOTIFY and listenerPath (no seccomp agent), a flag other than
 * TSYNC, LOG and SPEC_ALLOW.
 */
public final class SeccompCompiler {
    /** AUDIT_ARCH_X86_64: EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
    static final int AUDIT_ARCH_X86_64 = 0xc000003e;
    static final int X32_SYSCALL_BIT = 0x40000000;
    static final int EPERM = 1;

    static final int RET_KILL_PROCESS = 0x80000000;
    static final int RET_KILL_THREAD = 0;
    static final int RET_TRAP = 0x00030000;
    static final int RET_ERRNO = 0x00050000;
    static final int RET_TRACE = 0x7ff00000;
    static final int RET_LOG = 0x7ffc0000;
    static final int RET_ALLOW = 0x7fff0000;

    /** seccomp_data: nr at 0, arch at 4, instruction pointer at 8, args[6] (u64) from 16. */
    private static final int OFF_NR = 0;
    private static final int OFF_ARCH = 4;
    private static final int OFF_ARGS = 16;

    /** The compiled filter and the SECCOMP_FILTER_FLAG_* bits to load it with. */
    public record Filter(byte[] program, int flags) {}

    private record Condition(int index, String op, long value, long valueTwo) {}

    private SeccompCompiler() {}

    public static Filter compile(JsonNode seccomp) {
        if (seccomp == null || !seccomp.isObject()) {
            throw BackendException.invalidArgument("config.json: linux.seccomp is not an object");
        }
        String arch = System.getProperty("os.arch");
        if (!"amd64".equals(arch) && !"x86_64".equals(arch)) {
            throw BackendException.unimplemented("seccomp", "linux.seccomp on " + arch + " (the compiler knows x86_64 only)");
        }
        if (!seccomp.path("listenerPath").asText("").isEmpty()) {
            throw BackendException.unimplemented("seccomp", "linux.seccomp.listenerPath (a seccomp agent; no user"
                    + " notification)");
        }
        List<String> arches = new ArrayList<>();
        seccomp.path("architectures").forEach(a -> arches.add(a.asText()));
        if (!arches.isEmpty() && !arches.contains("SCMP_ARCH_X86_64")) {
            throw BackendException.unimplemented("seccomp", "linux.seccomp.architectures " + arches
                    + " without SCMP_ARCH_X86_64 (only x86_64 filters are compiled)");
        }
        int flags = flags(seccomp.path("flags"));
        int defaultErrno = errno(seccomp.path("defaultErrnoRet"), "linux.seccomp.defaultErrnoRet");
        int defaultAction = action(seccomp.path("defaultAction"), defaultErrno, "linux.seccomp.defaultAction");

        BpfProgram bpf = new BpfProgram();
        String native64 = bpf.label();
        bpf.load(OFF_ARCH).jump(BpfProgram.JEQ_K, AUDIT_ARCH_X86_64, native64, BpfProgram.NEXT).ret(RET_KILL_THREAD);
        bpf.place(native64);
        String notX32 = bpf.label();
        bpf.load(OFF_NR).jump(BpfProgram.JGE_K, X32_SYSCALL_BIT, BpfProgram.NEXT, notX32).ret(RET_KILL_THREAD);
        bpf.place(notX32);

        boolean nrInA = true;
        int i = 0;
        for (JsonNode rule : seccomp.path("syscalls")) {
            String field = "linux.seccomp.syscalls[" + i++ + "]";
            int errno = errno(rule.path("errnoRet"), field + ".errnoRet");
            int action = action(rule.path("action"), errno, field + ".action");
            List<Condition> conditions = conditions(rule.path("args"), field);
            List<String> names = names(rule, field);
            if (action == defaultAction) {
                continue;
            }
            for (List<Condition> alternative : alternatives(conditions)) {
                for (String name : names) {
                    Integer nr = SyscallTable.x86_64().get(name);
                    if (nr == null) {
                        continue;
                    }
                    String end = bpf.label();
                    if (!nrInA) {
                        bpf.load(OFF_NR);
                    }
                    bpf.jump(BpfProgram.JEQ_K, nr, BpfProgram.NEXT, end);
                    for (Condition c : alternative) {
                        condition(bpf, c, end);
                    }
                    nrInA = alternative.isEmpty();
                    bpf.ret(action);
                    bpf.place(end);
                }
            }
        }
        bpf.ret(defaultAction);
        return new Filter(bpf.encode(), flags);
    }

    private static List<String> names(JsonNode rule, String field) {
        List<String> names = new ArrayList<>();
        rule.path("names").forEach(n -> names.add(n.asText()));
        if (rule.hasNonNull("name")) {
            names.add(rule.path("name").asText());
        }
        if (names.isEmpty()) {
            throw BackendException.invalidArgument("config.json: %s.names is empty", field);
        }
        return names;
    }

    private static List<Condition> conditions(JsonNode args, String field) {
        List<Condition> out = new ArrayList<>();
        int j = 0;
        for (JsonNode a : args) {
            String f = field + ".args[" + j++ + "]";
            int index = a.path("index").asInt(-1);
            if (!a.path("index").isIntegralNumber() || index < 0 || index > 5) {
                throw BackendException.invalidArgument("config.json: %s.index must be 0 to 5, got %s", f, a.path("index"));
            }
            String op = a.path("op").asText("");
            if (!List.of("SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                    "SCMP_CMP_MASKED_EQ").contains(op)) {
                throw BackendException.invalidArgument("config.json: %s.op: unknown operator '%s'", f, op);
            }
            out.add(new Condition(index, op, u64(a.path("value"), f + ".value"), u64(a.path("valueTwo"), f + ".valueTwo")));
        }
        return out;
    }

    /** As runc: conditions on distinct arguments all hold; several on one argument are alternatives. */
    private static List<List<Condition>> alternatives(List<Condition> conditions) {
        Set<Integer> seen = new HashSet<>();
        boolean repeated = conditions.stream().anyMatch(c -> !seen.add(c.index()));
        if (!repeated) {
            return List.of(conditions);
        }
        return conditions.stream().map(List::of).toList();
    }

    /** Falls through when the condition holds, jumps to {@code fail} when not. */
    private static void condition(BpfProgram bpf, Condition c, String fail) {
        int lo = OFF_ARGS + 8 * c.index(), hi = lo + 4;
        int vHi = (int) (c.value() >>> 32), vLo = (int) c.value();
        String match = bpf.label();
        String next = BpfProgram.NEXT;
        switch (c.op()) {
            case "SCMP_CMP_EQ" -> bpf.load(hi).jump(BpfProgram.JEQ_K, vHi, next, fail)
                    .load(lo).jump(BpfProgram.JEQ_K, vLo, next, fail);
            case "SCMP_CMP_NE" -> bpf.load(hi).jump(BpfProgram.JEQ_K, vHi, next, match)
                    .load(lo).jump(BpfProgram.JEQ_K, vLo, fail, next);
            case "SCMP_CMP_GT" -> bpf.load(hi).jump(BpfProgram.JGT_K, vHi, match, next).jump(BpfProgram.JEQ_K, vHi, next, fail)
                    .load(lo).jump(BpfProgram.JGT_K, vLo, next, fail);
            case "SCMP_CMP_GE" -> bpf.load(hi).jump(BpfProgram.JGT_K, vHi, match, next).jump(BpfProgram.JEQ_K, vHi, next, fail)
                    .load(lo).jump(BpfProgram.JGE_K, vLo, next, fail);
            case "SCMP_CMP_LT" -> bpf.load(hi).jump(BpfProgram.JGT_K, vHi, fail, next).jump(BpfProgram.JEQ_K, vHi, next, match)
                    .load(lo).jump(BpfProgram.JGE_K, vLo, fail, next);
            case "SCMP_CMP_LE" -> bpf.load(hi).jump(BpfProgram.JGT_K, vHi, fail, next).jump(BpfProgram.JEQ_K, vHi, next, match)
                    .load(lo).jump(BpfProgram.JGT_K, vLo, fail, next);
            case "SCMP_CMP_MASKED_EQ" -> {
                // OCI: value is the mask, valueTwo the value the masked argument must equal.
                long datum = c.valueTwo();
                bpf.load(hi).and(vHi).jump(BpfProgram.JEQ_K, (int) (datum >>> 32), next, fail)
                        .load(lo).and(vLo).jump(BpfProgram.JEQ_K, (int) datum, next, fail);
            }
            default -> throw new IllegalStateException(c.op());
        }
        bpf.place(match);
    }

    private static int action(JsonNode node, int errno, String field) {
        String name = node.asText("");
        return switch (name) {
            case "SCMP_ACT_ALLOW" -> RET_ALLOW;
            case "SCMP_ACT_ERRNO" -> RET_ERRNO | errno;
            case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD" -> RET_KILL_THREAD;
            case "SCMP_ACT_KILL_PROCESS" -> RET_KILL_PROCESS;
            case "SCMP_ACT_TRAP" -> RET_TRAP;
            case "SCMP_ACT_TRACE" -> RET_TRACE | errno;
            case "SCMP_ACT_LOG" -> RET_LOG;
            case "SCMP_ACT_NOTIFY" -> throw BackendException.unimplemented("seccomp", field
                    + " SCMP_ACT_NOTIFY (a seccomp agent; no user notification)");
            case "" -> throw BackendException.invalidArgument("config.json: %s is missing", field);
            default -> throw BackendException.invalidArgument("config.json: %s: unknown action '%s'", field, name);
        };
    }

    private static int errno(JsonNode node, String field) {
        if (node.isMissingNode() || node.isNull()) {
            return EPERM;
        }
        if (!node.isIntegralNumber() || node.asLong() < 0 || node.asLong() > 4095) {
            throw BackendException.invalidArgument("config.json: %s must be an errno from 0 to 4095, got %s", field, node);
        }
        return node.asInt();
    }

    private static long u64(JsonNode node, String field) {
        if (node.isMissingNode() || node.isNull()) {
            return 0;
        }
        if (!node.isIntegralNumber() || node.bigIntegerValue().signum() < 0 || node.bigIntegerValue().bitLength() > 64) {
            throw BackendException.invalidArgument("config.json: %s must be an unsigned 64-bit number, got %s", field, node);
        }
        return node.bigIntegerValue().longValue();
    }

    private static int flags(JsonNode list) {
        int flags = 0;
        for (JsonNode f : list) {
            flags |= switch (f.asText()) {
                case "SECCOMP_FILTER_FLAG_TSYNC" -> 1;
                case "SECCOMP_FILTER_FLAG_LOG" -> 2;
                case "SECCOMP_FILTER_FLAG_SPEC_ALLOW" -> 4;
                default -> throw BackendException.unimplemented("seccomp", "linux.seccomp.flags " + f.asText()
                        + " (TSYNC, LOG and SPEC_ALLOW are supported)");
            };
        }
        return flags;
    }
}
