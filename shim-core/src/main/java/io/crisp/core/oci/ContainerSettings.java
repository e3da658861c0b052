package io.crisp.core.oci;

import java.util.List;
import java.util.Map;

/**
 * Everything from a CRI {@code ContainerConfig} that the container's OCI spec is made from. Persisted
 * as JSON by the core: "" and -1 stand for "not set", collections are never null.
 *
 * @param name metadata.name
 * @param attempt metadata.attempt
 * @param image image.image as the kubelet sent it (the reference or the image id)
 * @param command config.command (replaces the image's Entrypoint when non-empty)
 * @param args config.args (replaces the image's Cmd when non-empty)
 * @param workingDir config.working_dir, "" for the image's
 * @param envs config.envs in order
 * @param mounts config.mounts
 * @param devices config.devices
 * @param labels container labels
 * @param annotations container annotations (copied into the spec annotations)
 * @param logPath log_path, relative to the pod's log directory
 * @param stdin keep stdin open
 * @param stdinOnce close stdin after the first attach ends
 * @param tty allocate a terminal
 * @param stopSignal the signal name from config.stop_signal (like {@code SIGTERM}), "" for the image's or SIGTERM
 * @param pidMode pid namespace: POD, CONTAINER, NODE or TARGET
 * @param pidTargetId the container whose pid namespace to join; "" unless pidMode is TARGET
 * @param resources linux.resources, {@link ResourceSettings#NONE} when none
 * @param security linux.security_context, {@link ContainerSecurity#DEFAULT} when none
 * @param cdiDevices config.CDI_devices: qualified CDI device names, resolved when the spec is built
 */
public record ContainerSettings(String name, int attempt, String image, List<String> command, List<String> args,
        String workingDir, List<EnvVar> envs, List<MountSettings> mounts, List<DeviceSettings> devices,
        Map<String, String> labels, Map<String, String> annotations, String logPath, boolean stdin, boolean stdinOnce,
        boolean tty, String stopSignal, NamespaceMode pidMode, String pidTargetId, ResourceSettings resources,
        ContainerSecurity security, List<String> cdiDevices) {
    /** Without CDI devices. */
    public ContainerSettings(String name, int attempt, String image, List<String> command, List<String> args,
            String workingDir, List<EnvVar> envs, List<MountSettings> mounts, List<DeviceSettings> devices,
            Map<String, String> labels, Map<String, String> annotations, String logPath, boolean stdin, boolean stdinOnce,
            boolean tty, String stopSignal, NamespaceMode pidMode, String pidTargetId, ResourceSettings resources,
            ContainerSecurity security) {
        this(name, attempt, image, command, args, workingDir, envs, mounts, devices, labels, annotations, logPath, stdin,
                stdinOnce, tty, stopSignal, pidMode, pidTargetId, resources, security, List.of());
    }

    public ContainerSettings {
        name = PodSettings.orEmpty(name);
        image = PodSettings.orEmpty(image);
        command = command == null ? List.of() : List.copyOf(command);
        args = args == null ? List.of() : List.copyOf(args);
        workingDir = PodSettings.orEmpty(workingDir);
        envs = envs == null ? List.of() : List.copyOf(envs);
        mounts = mounts == null ? List.of() : List.copyOf(mounts);
        devices = devices == null ? List.of() : List.copyOf(devices);
        labels = PodSettings.sorted(labels);
        annotations = PodSettings.sorted(annotations);
        logPath = PodSettings.orEmpty(logPath);
        stopSignal = PodSettings.orEmpty(stopSignal);
        pidMode = pidMode == null ? NamespaceMode.POD : pidMode;
        pidTargetId = PodSettings.orEmpty(pidTargetId);
        resources = resources == null ? ResourceSettings.NONE : resources;
        security = security == null ? ContainerSecurity.DEFAULT : security;
        cdiDevices = cdiDevices == null ? List.of() : List.copyOf(cdiDevices);
    }
}
