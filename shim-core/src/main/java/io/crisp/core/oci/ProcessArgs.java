package io.crisp.core.oci;

import io.crisp.spi.BackendException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The kubelet's rules for a container's argv, environment and working directory from config and image. */
final class ProcessArgs {
    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private ProcessArgs() {}

    /**
     * command + args when config.command is set; else the image's Entrypoint + (config.args, or the
     * image's Cmd when config.args is empty).
     */
    static List<String> argv(List<String> command, List<String> args, ImageConfigSummary image) {
        List<String> out = new ArrayList<>();
        if (!command.isEmpty()) {
            out.addAll(command);
            out.addAll(args);
        } else {
            out.addAll(image.entrypoint());
            out.addAll(args.isEmpty() ? image.cmd() : args);
        }
        if (out.isEmpty()) {
            throw BackendException.invalidArgument(
                    "no command specified: neither config.command/args nor the image's Entrypoint/Cmd");
        }
        return out;
    }

    /**
     * The image's Env, overridden key by key by the config's envs (in order), PATH defaulted, HOME set to
     * the user's home when neither sets it.
     */
    static List<String> env(List<String> imageEnv, List<EnvVar> configEnv, String home) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String e : imageEnv) {
            int eq = e.indexOf('=');
            env.put(eq < 0 ? e : e.substring(0, eq), eq < 0 ? "" : e.substring(eq + 1));
        }
        configEnv.forEach(e -> env.put(e.key(), e.value()));
        env.putIfAbsent("PATH", DEFAULT_PATH);
        if (home != null) {
            env.putIfAbsent("HOME", home);
        }
        List<String> out = new ArrayList<>();
        env.forEach((k, v) -> out.add(k + "=" + v));
        return out;
    }

    /** config.working_dir, else the image's WorkingDir, else "/". */
    static String cwd(String configDir, String imageDir) {
        String dir = !configDir.isEmpty() ? configDir : imageDir;
        if (dir.isEmpty()) {
            return "/";
        }
        return dir.startsWith("/") ? dir : "/" + dir;
    }
}
