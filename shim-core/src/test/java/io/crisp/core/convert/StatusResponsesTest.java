package io.crisp.core.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.runtime.Condition;
import io.crisp.core.runtime.HandlerReport;
import io.crisp.core.runtime.RuntimeStatusReport;
import io.crisp.cri.v1.CgroupDriver;
import io.crisp.cri.v1.StatusResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The runtime-wide answers: the cgroup driver for RuntimeConfig, features in Status. */
final class StatusResponsesTest {
    @Test
    void runtimeConfigCarriesTheConfiguredDriver() {
        assertEquals(CgroupDriver.SYSTEMD, StatusResponses.runtimeConfig("systemd").getLinux().getCgroupDriver());
        assertEquals(CgroupDriver.CGROUPFS, StatusResponses.runtimeConfig("cgroupfs").getLinux().getCgroupDriver());
    }

    @Test
    void statusHasTheRuntimeAndHandlerFeatures() {
        StatusResponse status = StatusResponses.toProto(new RuntimeStatusReport(List.of(Condition.ready(Condition.RUNTIME_READY)),
                List.of(new HandlerReport("", true, false), new HandlerReport("lxc", false, false)), Map.of()));
        assertTrue(status.getFeatures().getSupplementalGroupsPolicy(), "Strict is honoured");
        assertFalse(status.getFeatures().getUserNamespacesHostNetwork());
        assertTrue(status.getRuntimeHandlers(0).getFeatures().getRecursiveReadOnlyMounts());
        assertFalse(status.getRuntimeHandlers(1).getFeatures().getRecursiveReadOnlyMounts());
        assertFalse(status.getRuntimeHandlers(1).getFeatures().getUserNamespaces());
    }
}
