package io.crisp.spi;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

final class SpiVersionTest {
    @Test
    void versionComesFromTheBuildAndIsSemver() {
        assertTrue(SpiVersion.CURRENT.matches("\\d+\\.\\d+\\.\\d+"), "not a semver: " + SpiVersion.CURRENT);
    }
}
