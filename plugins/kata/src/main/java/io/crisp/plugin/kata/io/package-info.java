/**
 * The stdio of shim v2 tasks and execs: the FIFOs whose paths go into CreateTaskRequest and
 * ExecProcessRequest, and what crisp does with them (conmon's job for the runc plugin).
 *
 * <ul>
 *   <li>{@link io.crisp.plugin.kata.io.ContainerStdio}: a container's own stdio for its whole life,
 *       copied into the CRI log (the kit's {@link io.crisp.plugin.kit.log.CriLogWriter},
 *       {@link io.crisp.plugin.kit.log.CriLineSplitter}) and to attached clients.</li>
 *   <li>{@link io.crisp.plugin.kata.io.ExecStdio}: one exec's stdio, collected for ExecSync or
 *       streamed to a client.</li>
 *   <li>{@link io.crisp.plugin.kata.io.FifoReader}, {@link io.crisp.plugin.kata.io.FifoWriter},
 *       {@link io.crisp.plugin.kata.io.Fifos}: the FIFO ends underneath, none of which ever blocks in
 *       open(2) and all of whose waits can be cancelled.</li>
 * </ul>
 */
package io.crisp.plugin.kata.io;
