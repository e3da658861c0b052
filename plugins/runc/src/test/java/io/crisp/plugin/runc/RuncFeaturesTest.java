package io.crisp.plugin.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.crisp.plugin.kit.conmon.ConmonBackend;
import io.crisp.spi.Capability;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The features the runc handler claims come from the real runc's {@code features} document and the
 * kernel; jq reads the same document here, independently, for what the answer must be.
 */
final class RuncFeaturesTest {
    @RegisterExtension
    final RuncFixture fx = new RuncFixture();

    @Test
    void capabilitiesAndReasonsFollowRuncsFeatures() throws Exception {
        ConmonBackend backend = fx.backend();
        Map<String, String> facts = backend.describe();
        String kernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
        boolean listsRro = jq("any(.mountOptions[]?; . == \"rro\")").equals("true");
        String[] version = kernel.split("[^0-9]+");
        boolean setattr = Integer.parseInt(version[0]) > 5 || (Integer.parseInt(version[0]) == 5 && Integer.parseInt(version[1]) >= 12);
        boolean idmap = jq(".linux.mountExtensions.idmap.enabled // false").equals("true");

        assertEquals(listsRro && setattr, backend.capabilities().contains(Capability.RECURSIVE_READ_ONLY_MOUNTS), facts.toString());
        assertEquals(idmap, backend.capabilities().contains(Capability.USER_NAMESPACES), facts.toString());
        assertEquals(listsRro && setattr ? "yes: 'runc features' lists rro and kernel " + kernel + " has mount_setattr"
                : !listsRro ? "no: 'runc features' does not list rro in mountOptions"
                : "no: kernel " + kernel + " has no mount_setattr (needs 5.12)", facts.get("feature.recursive_read_only_mounts"));
        assertEquals(idmap ? "yes: 'runc features' has linux.mountExtensions.idmap.enabled"
                : "no: 'runc features' has no linux.mountExtensions.idmap.enabled = true (id-mapped mounts)",
                facts.get("feature.user_namespaces"));
    }

    private static String jq(String filter) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", TestBundles.RUNC + " features | jq '" + filter + "'").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor();
        return out;
    }
}
