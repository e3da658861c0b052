package io.crisp.core.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.NodeCheck;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

final class DoctorReportTest {
    private static final NodeCheck OVERLAY = NodeCheck.ok("overlayfs", "overlay in /proc/filesystems");
    private static final NodeCheck RUNC_OK = NodeCheck.ok("OCI runtime", "/usr/sbin/runc (runc version 1.1.5)");
    private static final NodeCheck RUNC_MISSING = NodeCheck.fail("OCI runtime", "RuntimeBinaryMissing",
            "/nonexistent/runc is missing or not executable", "install it (apt-get install runc) or set runtime_path");

    private static DoctorReport.HandlerChecks handler(String name, boolean isDefault, NodeCheck... checks) {
        return new DoctorReport.HandlerChecks(name, "runc", "0.1.0", isDefault, List.of(checks));
    }

    private static String print(DoctorReport report) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        report.print(new PrintStream(out, true, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aFailingDefaultHandlerFailsTheExitCodeAndPrintsReasonAndFix() {
        DoctorReport report = new DoctorReport("test", List.of(OVERLAY), List.of(handler("broken", true, RUNC_MISSING), handler("runc", false, RUNC_OK)));
        assertFalse(report.defaultCanRunPods());
        assertEquals(1, report.exitCode(1));
        String text = print(report);
        assertTrue(text.contains("Handler broken (default; plugin runc 0.1.0)"), text);
        assertTrue(text.contains("  FAIL  OCI runtime            /nonexistent/runc is missing or not executable"), text);
        assertTrue(text.contains("reason:                RuntimeBinaryMissing"), text);
        assertTrue(text.contains("fix:                   install it (apt-get install runc) or set runtime_path"), text);
        assertTrue(text.contains("Result: the default handler 'broken' cannot run pods on this node: OCI runtime (RuntimeBinaryMissing)."), text);
    }

    @Test
    void aFailingOtherHandlerIsReportedButKeepsExitCodeZero() {
        DoctorReport report = new DoctorReport("test", List.of(OVERLAY, NodeCheck.warn("disk space (root)", "1 GiB", "free some")),
                List.of(handler("runc", true, RUNC_OK), handler("broken", false, RUNC_MISSING)));
        assertTrue(report.defaultCanRunPods());
        assertEquals(0, report.exitCode(1));
        String text = print(report);
        assertTrue(text.contains("Result: the default handler 'runc' can run pods on this node (1 warning)."), text);
        assertTrue(text.contains("handler 'broken' cannot run pods: OCI runtime (RuntimeBinaryMissing)"), text);
        assertTrue(text.contains("does not change the exit code"), text);
    }

    @Test
    void aNodeFailureStopsTheDefaultHandlerToo() {
        NodeCheck cni = NodeCheck.fail("CNI plugins", "CniPluginMissing", "CNI plugin binary \"bridge\" not found", "install them");
        DoctorReport report = new DoctorReport("test", List.of(cni), List.of(handler("runc", true, RUNC_OK)));
        assertEquals(1, report.exitCode(1));
        assertTrue(print(report).contains("cannot run pods on this node: CNI plugins (CniPluginMissing)."));
    }
}
