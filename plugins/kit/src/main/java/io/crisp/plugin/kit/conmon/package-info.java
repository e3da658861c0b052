/**
 * A backend base that runs every sandbox (its infra process) and every container as one container
 * of an OCI-CLI program, each under its own conmon: {@link io.crisp.plugin.kit.conmon.ConmonBackend},
 * configured with an {@link io.crisp.plugin.kit.conmon.OciCliConfig} (program, {@code --root},
 * conmon) and {@link io.crisp.plugin.kit.conmon.ConmonHooks} (files of the plugin's own in the
 * bundle, capabilities, health, describe entries, stats). The runc plugin is this base with runc
 * and no hooks; a plugin for another runtime supplies an <em>adapter</em>, a program that speaks
 * the protocol below and drives its runtime.
 *
 * <h2>The adapter protocol</h2>
 *
 * <p>Checked against conmon 2.1 and runc 1.1 by {@code AdapterProtocolTest} in plugins/runc, which
 * logs every call. {@code PROG} is {@link io.crisp.plugin.kit.conmon.OciCliConfig#runtimePath()},
 * {@code ROOT} its {@code runtimeRoot()}, {@code S} the handler's state directory, {@code ID} a
 * sandbox or container id (always {@code [A-Za-z0-9][A-Za-z0-9_.+-]{0,127}}). Global options come
 * before the command, in two spellings: conmon writes {@code --root=ROOT}, the backend
 * {@code --root ROOT}; accept both. With the systemd cgroup driver every call also starts with the
 * global option {@code --systemd-cgroup} (conmon adds it to {@code create} itself) and the
 * cgroupsPath is {@code slice:prefix:name}. {@code ROOT} may not exist yet: create it. Sandboxes and
 * containers are alike to the program; a container's {@code config.json} names the sandbox's
 * namespaces by path ({@code /proc/PID/ns/net} ...). Nothing else (no {@code list}, {@code ps},
 * {@code pause}, {@code checkpoint}) is called.
 *
 * <dl>
 * <dt>{@code PROG --root=ROOT --log=S/objects/ID/runtime.log --log-format=json create --bundle BUNDLE
 *     --pid-file S/objects/ID/pid [--console-socket SOCKET] ID}</dt>
 * <dd>Run by conmon (its child; conmon is a child subreaper), in CreateContainer; or in StartContainer,
 * right before {@code start}, when the plugin defers the create
 * ({@link io.crisp.plugin.kit.conmon.ConmonHooks#deferCreateToStart}: CreateContainer then calls
 * nothing, and a resource update before the start is written into {@code BUNDLE/config.json}'s
 * {@code linux.resources} instead of calling {@code update}). Create the container from
 * {@code BUNDLE/config.json} with its init process in place but not yet running the user's program
 * (OCI "created"), write the init process's pid (host pid namespace, decimal) to the pid file, exit
 * 0. The init process must stay a descendant of this call (no handing it to another daemon): conmon
 * waits for that pid, and its exit status (code, or 128+signal) becomes the container's exit, which
 * conmon writes to {@code S/exits/ID}; conmon also writes {@code S/objects/ID/oom} when the cgroup
 * of that pid reports an OOM kill. Stdio: without {@code --console-socket}, the program's fds 0, 1,
 * 2 are conmon's pipes (fd 0 is /dev/null unless the container has stdin); the init process must
 * get them as its own stdio. With {@code --console-socket} (the container asked for a terminal),
 * connect to that Unix stream socket and send the master of a new pty with SCM_RIGHTS, the slave
 * being the init process's controlling terminal and stdio (what runc does). On failure exit
 * non-zero and say why on stderr: conmon passes that text on, and the caller gets
 * {@code container ID: runtime create failed: TEXT}; when that text is empty, the last line of the
 * {@code --log} file with {@code "level":"error"} or {@code "fatal"} is used ({@code "msg"}), or its
 * last line when that is not JSON. Writing the log is optional. Limit: conmon must detach within
 * 30 s and report within 120 s. The bundle also holds conmon's {@code attach}, {@code ctl} and
 * {@code winsz}: do not use those names.</dd>
 * <dt>{@code PROG --root ROOT start ID}</dt>
 * <dd>Start the user's program in the created container; exit 0 once it runs. Non-zero: the call
 * fails with {@code runtime start failed (exit N): OUTPUT} and the container is removed; with a
 * deferred create, a failed create or start instead leaves the container exited (code 128, reason
 * {@code StartError}) after {@code kill --all ID 9} and {@code delete}, until it is removed.</dd>
 * <dt>{@code PROG --root ROOT kill ID SIGNAL} and {@code PROG --root ROOT kill --all ID 9}</dt>
 * <dd>{@code SIGNAL} is a number (15, or the image's stop signal). Without {@code --all}: signal the
 * init process. With it: SIGKILL every process of the container. Stop sends SIGNAL, waits the
 * timeout for the exit file, then sends {@code kill --all ID 9}; a stop with timeout 0 or of a
 * never-started container sends only the latter (none, when its create was deferred and never ran:
 * it is recorded as exited with 137).</dd>
 * <dt>{@code PROG --root ROOT delete --force ID}</dt>
 * <dd>Forget the container: kill what is left and remove everything the program keeps for it. Run
 * as soon as the container's exit is recorded (in the background; a stop returns once it is done),
 * and on every removal whose container was not deleted so already, also for a container whose
 * create failed or never ran (not for one whose deferred create never began). It may thus run twice for one {@code ID}: an unknown {@code ID} is not
 * an error (exit 0, or say "does not exist").</dd>
 * <dt>{@code PROG --root ROOT exec [--tty] --pid-file FILE ID ARG...}</dt>
 * <dd>Run {@code ARG...} in the running container with its {@code config.json}'s user, environment
 * and working directory; no {@code --process}, {@code --env}, {@code --cwd} or {@code --user} is
 * passed. Write the exec'd process's host pid to {@code FILE} as soon as it runs; exit with its exit
 * code. The program's stdin, stdout and stderr are the process's: pipes (stdin may be /dev/null or
 * closed at once), or with {@code --tty} one pty slave that is already the program's controlling
 * terminal. On a timeout or a closed session the backend SIGKILLs the pid in {@code FILE} with its
 * descendants, then the program.</dd>
 * <dt>{@code PROG --root ROOT update --resources - ID}</dt>
 * <dd>Apply the OCI {@code LinuxResources} JSON read from stdin to the running container. Not run when
 * the plugin's {@link io.crisp.plugin.kit.conmon.ConmonHooks#updateResources} applied it itself.</dd>
 * <dt>{@code PROG --version}</dt>
 * <dd>Once, when the backend starts: the first output line shows as {@code runtime_version} in
 * {@code describe()}; any exit code.</dd>
 * <dt>{@code PROG features}</dt>
 * <dd>Once, when the backend starts, unless {@link io.crisp.plugin.kit.conmon.ConmonHooks#probeRuntimeFeatures}
 * is false: the OCI runtime-spec features document on stdout ({@code rro} in {@code mountOptions},
 * {@code linux.mountExtensions.idmap.enabled}); a failure or no JSON means neither feature.</dd>
 * </dl>
 *
 * <p>{@code state} is never called: neither the backend nor conmon (run without {@code --exec})
 * asks the program for a container's state; the backend knows it from conmon's pid and exit files.
 * An adapter may still offer {@code state ID} printing the OCI state
 * ({@code {"ociVersion", "id", "status": "created|running|stopped", "pid", "bundle"}}) for people.
 *
 * <p>Outputs and exit codes of start, kill, delete and update: exit 0 is success. Otherwise the
 * combined stdout and stderr (capped at 1 MiB) is searched, case-insensitively, for "does not
 * exist", "not running", "container not found", "process already finished" or "no such process":
 * kill and delete take such an answer as success (the container is gone or stopped already); any
 * other failure becomes an INTERNAL error quoting the exit code and output. A call that runs longer
 * than 60 s is killed and fails with DEADLINE_EXCEEDED.
 *
 * <p>Environment: the backend runs the program with the daemon's environment and working
 * directory (do not rely on either; use {@code --bundle} and absolute paths). conmon runs create
 * with the same environment plus {@code _OCI_SYNCPIPE=3}, which is conmon's own (ignore it, and do
 * not write to fd 3); {@code NOTIFY_SOCKET}, {@code _OCI_STARTPIPE} and {@code _OCI_ATTACHPIPE} are
 * removed. Everything runs as root.
 *
 * <p>State kept by the backend, under the handler's state directory ({@code ContainerFiles}):
 * {@code exits/ID}, {@code sock/ID}, {@code objects/ID/} (meta, pid, conmon.pid, runtime.log, ...).
 * A restarted daemon finds its containers there; the program must keep its own state under
 * {@code ROOT} so that start, kill, delete, exec and update work from a new process.
 */
package io.crisp.plugin.kit.conmon;
