package io.crisp.core.convert;

import io.crisp.core.CrispBuild;
import io.crisp.core.runtime.Condition;
import io.crisp.core.runtime.HandlerReport;
import io.crisp.core.runtime.RuntimeStatusReport;
import io.crisp.cri.v1.CgroupDriver;
import io.crisp.cri.v1.LinuxRuntimeConfiguration;
import io.crisp.cri.v1.RuntimeCondition;
import io.crisp.cri.v1.RuntimeConfigResponse;
import io.crisp.cri.v1.RuntimeFeatures;
import io.crisp.cri.v1.RuntimeHandler;
import io.crisp.cri.v1.RuntimeHandlerFeatures;
import io.crisp.cri.v1.RuntimeStatus;
import io.crisp.cri.v1.StatusResponse;
import io.crisp.cri.v1.UpdateRuntimeConfigRequest;
import io.crisp.cri.v1.VersionResponse;

/** Core runtime reports to CRI responses, and the runtime-level requests to core arguments. */
public final class StatusResponses {
    private static final VersionResponse VERSION = VersionResponse.newBuilder()
            .setVersion("0.1.0") // the CRI "kubelet API version" field, fixed by the spec
            .setRuntimeName(CrispBuild.RUNTIME_NAME)
            .setRuntimeVersion(CrispBuild.VERSION)
            .setRuntimeApiVersion(CrispBuild.CRI_API_VERSION)
            .build();

    private StatusResponses() {}

    public static VersionResponse version() {
        return VERSION;
    }

    /** The pod CIDR an UpdateRuntimeConfig carries (empty when the node has none yet); the node checks its form. */
    public static String podCidr(UpdateRuntimeConfigRequest request) {
        return request.getRuntimeConfig().getNetworkConfig().getPodCidr();
    }

    public static StatusResponse toProto(RuntimeStatusReport report) {
        RuntimeStatus.Builder status = RuntimeStatus.newBuilder();
        for (Condition c : report.conditions()) {
            status.addConditions(RuntimeCondition.newBuilder().setType(c.type()).setStatus(c.status())
                    .setReason(c.reason()).setMessage(c.message()));
        }
        // supplemental_groups_policy: Strict is honoured (the image's /etc/group is not merged), for every handler.
        StatusResponse.Builder response = StatusResponse.newBuilder().setStatus(status).putAllInfo(report.info())
                .setFeatures(RuntimeFeatures.newBuilder().setSupplementalGroupsPolicy(true));
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
