package io.crisp.plugin.kata.spec;

import java.util.Map;

/** Specs shaped like the ones the CRI core writes for a pod sandbox and its containers. */
final class TestSpecs {
    private TestSpecs() {
    }

    /** A privileged container: host devices listed, device cgroup allows all. */
    static Map<String, Object> privilegedContainer() {
        return Json.parseObject("""
                {
                  "ociVersion": "1.1.0",
                  "process": {
                    "terminal": false,
                    "consoleSize": {"height": 24, "width": 80},
                    "user": {"uid": 0, "gid": 0},
                    "args": ["/bin/sh", "-c", "sleep 1000"],
                    "env": ["PATH=/usr/bin:/bin"],
                    "cwd": "/",
                    "capabilities": {"bounding": ["CAP_SYS_ADMIN"]},
                    "noNewPrivileges": false
                  },
                  "root": {"path": "rootfs"},
                  "annotations": {
                    "io.kubernetes.cri.container-type": "container",
                    "io.kubernetes.cri.sandbox-id": "4f2a9c",
                    "io.kubernetes.cri.container-name": "app"
                  },
                  "linux": {
                    "devices": [
                      {"path": "/dev/sda", "type": "b", "major": 8, "minor": 0, "fileMode": 432, "uid": 0, "gid": 6},
                      {"path": "/dev/kvm", "type": "c", "major": 10, "minor": 232, "fileMode": 438, "uid": 0, "gid": 0}
                    ],
                    "resources": {
                      "devices": [
                        {"allow": false, "access": "rwm"},
                        {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
                        {"allow": true, "access": "rwm"}
                      ],
                      "memory": {"limit": 18446744073709551615}
                    },
                    "maskedPaths": []
                  }
                }
                """);
    }

    /** An ordinary container: no host devices, only specific device rules after the deny-all. */
    static Map<String, Object> normalContainer() {
        return Json.parseObject("""
                {
                  "ociVersion": "1.1.0",
                  "process": {"terminal": false, "args": ["nginx"], "cwd": "/"},
                  "annotations": {
                    "io.kubernetes.cri.container-type": "container",
                    "io.kubernetes.cri.sandbox-id": "4f2a9c"
                  },
                  "linux": {
                    "devices": [
                      {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}
                    ],
                    "resources": {
                      "devices": [
                        {"allow": false, "access": "rwm"},
                        {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
                        {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rwm"},
                        {"allow": true, "type": "c", "major": 136, "access": "rwm"},
                        {"allow": true, "type": "b", "access": "rwm"},
                        {"allow": true, "access": "rw"}
                      ]
                    }
                  }
                }
                """);
    }

    /** A pod sandbox's spec, with annotations the pod's user set next to the runtime's own. */
    static Map<String, Object> sandbox() {
        return Json.parseObject("""
                {
                  "ociVersion": "1.1.0",
                  "process": {"args": ["/pause"], "cwd": "/"},
                  "annotations": {
                    "io.kubernetes.cri.container-type": "sandbox",
                    "io.kubernetes.cri.sandbox-id": "4f2a9c",
                    "io.kubernetes.cri.sandbox-name": "web",
                    "io.katacontainers.config.hypervisor.default_memory": "4096",
                    "io.katacontainers.config/weird": "1",
                    "example.com/team": "blue",
                    "sidecar.istio.io/inject": "false"
                  }
                }
                """);
    }
}
