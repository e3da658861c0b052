package io.crisp.client.cli;

import io.crisp.cri.client.CriClient;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;

/** What the CRI client commands ({@code pods}, {@code containers}) share: connecting, errors, ids, times. */
final class CriCall {
    private CriCall() {}

    /** A command's work against the daemon; returns the exit code. */
    @FunctionalInterface
    interface Work {
        int run(CriClient cri) throws Exception;
    }

    /** A refusal of the command line itself (exit code 2), not of the daemon. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    /** An id that names nothing the daemon lists (exit code 1). */
    static final class NotFoundException extends RuntimeException {
        NotFoundException(String message) {
            super(message);
        }
    }

    /**
     * Finds the daemon's socket ({@link ClientEndpoint}: a refused configuration is only a warning),
     * checks that a daemon answers on it, connects with this
     * per-call deadline and runs {@code work}; gRPC errors are printed as
     * {@code crisp <command>: CODE: description} with exit code 1.
     */
    static int run(CommandSpec spec, String command, Duration deadline, Work work) {
        ClientEndpoint endpoint = ClientEndpoint.resolve(spec);
        if (endpoint == null) {
            return ExitCodes.CONFIG;
        }
        if (!ClientEndpoint.answers(endpoint.socket())) {
            System.err.println("crisp: no daemon answers on " + endpoint.listen());
            return ExitCodes.FAILURE;
        }
        try (CriClient cri = CriClient.connect(endpoint.socket(), deadline)) {
            return work.run(cri);
        } catch (StatusRuntimeException e) {
            System.err.println("crisp " + command + ": " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
            return ExitCodes.FAILURE;
        } catch (NotFoundException e) {
            System.err.println("crisp " + command + ": " + e.getMessage());
            return ExitCodes.FAILURE;
        } catch (UsageException e) {
            System.err.println("crisp " + command + ": " + e.getMessage());
            return ExitCodes.CONFIG;
        } catch (Exception e) {
            System.err.println("crisp " + command + ": " + e);
            return ExitCodes.FAILURE;
        } finally {
            System.out.flush();
        }
    }

    /**
     * {@code KEY=VALUE} flags as a map in the order given (a later key wins). An empty value is
     * allowed, a missing {@code =} or an empty key is not.
     */
    static Map<String, String> keyValues(String flag, Collection<String> pairs) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new UsageException(flag + " " + pair + ": expected KEY=VALUE");
            }
            map.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return map;
    }

    /**
     * The full id an id or id prefix names among {@code ids}: itself when listed, else the only id
     * it prefixes. An unknown id is refused here: the CRI's stop and remove calls succeed for ids
     * they do not know, which would make a typo look like success.
     */
    static String resolve(String kind, String id, List<String> ids) {
        if (ids.contains(id)) {
            return id;
        }
        List<String> matches = new ArrayList<>();
        for (String candidate : ids) {
            if (candidate.startsWith(id)) {
                matches.add(candidate);
            }
        }
        if (matches.size() > 1) {
            throw new UsageException(kind + " id " + id + " is ambiguous: " + matches.size() + " " + kind + "s start with it");
        }
        if (matches.isEmpty()) {
            throw new NotFoundException("no " + kind + " " + id);
        }
        return matches.get(0);
    }

    static String shortId(String id) {
        String hex = id.startsWith("sha256:") ? id.substring("sha256:".length()) : id;
        return hex.length() > 13 ? hex.substring(0, 13) : hex;
    }

    /** How long ago, as crictl's CREATED column: "12 seconds ago", "3 minutes ago". */
    static String ago(long unixNanos, Instant now) {
        if (unixNanos <= 0) {
            return "-";
        }
        long seconds = Math.max(0, Duration.between(Instant.ofEpochSecond(0, unixNanos), now).toSeconds());
        if (seconds < 60) {
            return plural(seconds, "second");
        }
        if (seconds < 3600) {
            return plural(seconds / 60, "minute");
        }
        if (seconds < 86400) {
            return plural(seconds / 3600, "hour");
        }
        return plural(seconds / 86400, "day");
    }

    private static String plural(long n, String unit) {
        return n + " " + unit + (n == 1 ? "" : "s") + " ago";
    }
}
