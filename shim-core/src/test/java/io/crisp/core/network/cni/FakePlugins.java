package io.crisp.core.network.cni;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Shell-script stand-ins for CNI plugins: each call appends "COMMAND type ifname netns" to calls.log
 * and keeps its stdin and CNI_* environment; "fail" fails ADD, "faildel" fails DEL, "slow" sleeps.
 */
final class FakePlugins {
    static final String IPAM_RESULT = "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/ns\"}],"
            + "\"ips\":[{\"interface\":0,\"address\":\"10.99.0.2/24\"}]}";
    static final String CHAIN_RESULT = "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/ns\"}],"
            + "\"ips\":[{\"interface\":0,\"address\":\"10.99.0.2/24\"},{\"interface\":0,\"address\":\"fd99::2/64\"}]}";

    final Path bin;
    final Path log;

    FakePlugins(Path dir) throws IOException {
        bin = Files.createDirectories(dir.resolve("bin"));
        log = Files.createDirectories(dir.resolve("log"));
        String script = """
                #!/bin/sh
                d=%s
                t=$(basename "$0")
                cat > "$d/in-$CNI_COMMAND-$t-$CNI_IFNAME.json"
                env | grep '^CNI_' | sort > "$d/env-$CNI_COMMAND-$t-$CNI_IFNAME"
                echo "$CNI_COMMAND $t $CNI_IFNAME $CNI_NETNS" >> "$d/calls.log"
                case "$t-$CNI_COMMAND" in
                  fail-ADD) echo '{"code":7,"msg":"bad config","details":"subnet missing"}'; echo oops >&2; exit 1;;
                  faildel-DEL) echo '{"code":11,"msg":"busy"}'; exit 1;;
                  slow-*) sleep 30;;
                  ipam-ADD) echo '%s';;
                  chain-ADD|faildel-ADD) echo '%s';;
                  loopback-ADD) if [ -e "$d/loopback-fails" ]; then echo '{"code":5,"msg":"lo stays down"}'; exit 1; fi
                                echo '{"cniVersion":"0.3.1"}';;
                esac
                exit 0
                """.formatted(log, IPAM_RESULT, CHAIN_RESULT);
        for (String type : List.of("loopback", "ipam", "chain", "fail", "faildel", "slow")) {
            Path file = bin.resolve(type);
            Files.writeString(file, script);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        }
    }

    /** From now on loopback's ADD fails. */
    void failLoopback() throws IOException {
        Files.createFile(log.resolve("loopback-fails"));
    }

    /**
     * The calls, with loopback's ADD (which runs beside the list's) moved to the front: the calls'
     * order apart from it is the list's.
     */
    List<String> callsLoopbackFirst() throws IOException {
        List<String> calls = new java.util.ArrayList<>(calls());
        List<String> loopback = calls.stream().filter(c -> c.startsWith("ADD loopback ")).toList();
        calls.removeAll(loopback);
        calls.addAll(0, loopback);
        return calls;
    }

    List<String> calls() throws IOException {
        Path file = log.resolve("calls.log");
        return Files.exists(file) ? Files.readAllLines(file) : List.of();
    }

    void clearCalls() throws IOException {
        Files.deleteIfExists(log.resolve("calls.log"));
    }

    String stdin(String command, String type, String ifName) throws IOException {
        return Files.readString(log.resolve("in-" + command + "-" + type + "-" + ifName + ".json"));
    }

    List<String> env(String command, String type, String ifName) throws IOException {
        return Files.readAllLines(log.resolve("env-" + command + "-" + type + "-" + ifName));
    }

    static String conflist(String name, String version, String... types) {
        StringBuilder plugins = new StringBuilder();
        for (String type : types) {
            plugins.append(plugins.length() == 0 ? "" : ",").append("{\"type\":\"").append(type)
                    .append("\",\"capabilities\":{\"portMappings\":true}}");
        }
        return "{\"cniVersion\":\"" + version + "\",\"name\":\"" + name + "\",\"plugins\":[" + plugins + "]}";
    }
}
