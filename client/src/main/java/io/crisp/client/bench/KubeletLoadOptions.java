package io.crisp.client.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The options of {@link KubeletLoad}, as {@code --name value} pairs. The daemon's places
 * ({@code --socket}, {@code --daemon-pid}, {@code --work}, {@code --bridge}, {@code --cgroup-parent})
 * come from the script that started it; the load's shape ({@code --pods}, {@code --duration},
 * {@code --replace-every}, {@code --window}, {@code --warmup}) and {@code --report-dir} from the user.
 */
record KubeletLoadOptions(Path socket, long daemonPid, Path work, String bridge, String cgroupParent, String handler, int pods,
        Duration duration, Duration replaceEvery, Duration window, Duration warmup, Path reportDir) {
    private static final Set<String> NAMES = Set.of("--socket", "--daemon-pid", "--work", "--bridge", "--cgroup-parent", "--handler",
            "--pods", "--duration", "--replace-every", "--window", "--warmup", "--report-dir");

    static KubeletLoadOptions parse(String[] args) {
        Map<String, String> v = new HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!NAMES.contains(args[i])) {
                throw new IllegalArgumentException("unknown option " + args[i] + " (known: " + String.join(" ", NAMES) + ")");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            v.put(args[i], args[i + 1]);
        }
        for (String required : new String[] {"--socket", "--daemon-pid", "--work", "--bridge", "--cgroup-parent"}) {
            if (!v.containsKey(required)) {
                throw new IllegalArgumentException(required + " is required");
            }
        }
        Path work = Path.of(v.get("--work"));
        int pods = positive("--pods", v.getOrDefault("--pods", "100"));
        Duration duration = KubeletLoad.parseDuration("--duration", v.getOrDefault("--duration", "30m"));
        Duration window = KubeletLoad.parseDuration("--window", v.getOrDefault("--window", "60s"));
        if (window.toSeconds() < 10 || window.toSeconds() % 10 != 0) {
            throw new IllegalArgumentException("--window: a multiple of 10 s (daemon samples are taken every 10 s), got " + v.get("--window"));
        }
        Duration warmup = v.containsKey("--warmup") ? KubeletLoad.parseDuration("--warmup", v.get("--warmup"))
                : Duration.ofSeconds(Math.min(300, Math.max(20, duration.toSeconds() / 6)));
        return new KubeletLoadOptions(Path.of(v.get("--socket")), positive("--daemon-pid", v.get("--daemon-pid")), work, v.get("--bridge"),
                v.get("--cgroup-parent"), v.getOrDefault("--handler", "runc"), pods, duration,
                KubeletLoad.parseDuration("--replace-every", v.getOrDefault("--replace-every", "2s")), window, warmup,
                Path.of(v.getOrDefault("--report-dir", work.resolve("report").toString())));
    }

    private static int positive(String option, String text) {
        try {
            int n = Integer.parseInt(text);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(option + ": a positive whole number, got '" + text + "'");
    }
}
