package io.crisp.plugin.kata;

import com.google.protobuf.Any;
import io.crisp.plugin.kata.proto.runtimeoptions.Options;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The {@code options} of a CreateTask request, as containerd's CRI plugin fills them from the
 * handler's configuration:
 * <ul>
 *   <li>with {@code shim_config_path}: runtimeoptions {@code config_path} (Kata reads its
 *       configuration.toml from it; it tells the cgroup driver from the cgroupsPath's form);</li>
 *   <li>else with the systemd cgroup driver: the runc shim's {@code containerd.runc.v1.Options} with
 *       {@code systemd_cgroup = true} (containerd's {@code SystemdCgroup = true}), so the shim runs
 *       {@code runc --systemd-cgroup};</li>
 *   <li>else none.</li>
 * </ul>
 * Sent with every task's create, the sandbox's and each container's, as containerd does.
 */
record TaskOptions(Optional<Path> shimConfigPath, boolean systemdCgroup) {
    /** containerd's type URL of the runc shim's options (typeurl registration of containerd.runc.v1.Options). */
    static final String RUNC_OPTIONS_TYPE_URL = "containerd.runc.v1.Options";

    Optional<Any> toAny() {
        if (shimConfigPath.isPresent()) {
            return Optional.of(Any.newBuilder().setTypeUrl(Options.getDescriptor().getFullName())
                    .setValue(Options.newBuilder().setConfigPath(shimConfigPath.get().toString()).build().toByteString()).build());
        }
        if (systemdCgroup) {
            return Optional.of(Any.newBuilder().setTypeUrl(RUNC_OPTIONS_TYPE_URL)
                    .setValue(io.crisp.plugin.kata.proto.runc.Options.newBuilder().setSystemdCgroup(true).build().toByteString())
                    .build());
        }
        return Optional.empty();
    }
}
