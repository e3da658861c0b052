package io.crisp.core.convert;

import io.crisp.core.runtime.Condition;
import io.crisp.core.runtime.HandlerReport;
import io.crisp.core.runtime.RuntimeStatusReport;
import io.crisp.cri.v1.CgroupDriver;
import io.crisp.cri.v1.LinuxRuntimeConfiguration;
import io.crisp.cri.v1.RuntimeCondition;
import io.crisp.cri.v1.RuntimeConfigResponse;
import io.crisp.cri.v1.RuntimeHandler;
import io.crisp.cri.v1.RuntimeHandlerFeatures;
import io.crisp.cri.v1.RuntimeStatus;
import io.crisp.cri.v1.StatusResponse;

/** Core runtime reports to CRI responses. */
public final class StatusResponses {
    private StatusResponses() {}

    public static StatusResponse toProto(RuntimeStatusReport report) {
        RuntimeStatus.Builder status = RuntimeStatus.newBuilder();
        for (Condition c : report.conditions()) {
            status.addConditions(RuntimeCondition.newBuilder().setType(c.type()).setStatus(c.status())
                    .setReason(c.reason()).setMessage(c.message()));
        }
        StatusResponse.Builder response = StatusResponse.newBuilder().setStatus(status).putAllInfo(report.info());
        for (HandlerReport h : report.handlers()) {
            response.addRuntimeHandlers(RuntimeHandler.newBuilder().setName(h.name()).setFeatures(RuntimeHandlerFeatures.newBuilder()
                    .setRecursiveReadOnlyMounts(h.recursiveReadOnlyMounts()).setUserNamespaces(h.userNamespaces())));
        }
        return response.build();
    }

    public static RuntimeConfigResponse runtimeConfig(String cgroupDriver) {
        CgroupDriver driver = cgroupDriver.equals("systemd") ? CgroupDriver.SYSTEMD : CgroupDriver.CGROUPFS;
        return RuntimeConfigResponse.newBuilder().setLinux(LinuxRuntimeConfiguration.newBuilder().setCgroupDriver(driver)).build();
    }
}
