package io.crisp.core.oci;

import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The user a container process runs as: uid, gid, supplemental gids and home directory, from the CRI
 * security context (run_as_user, run_as_username, run_as_group, supplemental_groups) or else the image's
 * {@code User} ({@code name}, {@code uid}, {@code uid:gid}, {@code name:group}), looked up in the image's
 * /etc/passwd and /etc/group read through {@link RootfsFiles}. Missing files are fine for numeric users.
 */
public record ImageUser(long uid, long gid, List<Long> additionalGids, String home) {
    /** One /etc/passwd entry. */
    private record Passwd(String name, long uid, long gid, String home) {}

    /**
     * Resolves the user.
     *
     * @param field the CRI field path named in errors about run_as_username
     */
    public static ImageUser resolve(Path rootfs, String imageUser, long runAsUser, String runAsUsername, long runAsGroup,
            List<Long> supplementalGroups, String field) {
        return resolve(rootfs, imageUser, runAsUser, runAsUsername, runAsGroup, supplementalGroups, field, false);
    }

    /**
     * Resolves the user; with {@code strictGroups} (supplemental_groups_policy = Strict) the groups
     * the image's /etc/group lists the user in are left out: only the primary group and
     * {@code supplementalGroups} remain.
     */
    public static ImageUser resolve(Path rootfs, String imageUser, long runAsUser, String runAsUsername, long runAsGroup,
            List<Long> supplementalGroups, String field, boolean strictGroups) {
        try {
            return doResolve(rootfs, imageUser, runAsUser, runAsUsername, runAsGroup, supplementalGroups, field, strictGroups);
        } catch (IOException e) {
            throw BackendException.failedPrecondition("cannot read the users of the image at %s: %s", rootfs, e.getMessage());
        }
    }

    private static ImageUser doResolve(Path rootfs, String imageUser, long runAsUser, String runAsUsername, long runAsGroup,
            List<Long> supplementalGroups, String field, boolean strictGroups) throws IOException {
        String[] parts = split(imageUser, runAsUser, runAsUsername);
        String userPart = parts[0];
        String groupPart = parts[1];
        String source = runAsUser >= 0 ? field + ".run_as_user"
                : !runAsUsername.isEmpty() ? field + ".run_as_username" : "the image's User '" + imageUser + "'";
        List<Passwd> passwd = passwd(rootfs);
        Passwd entry = null;
        long uid;
        if (userPart.isEmpty()) {
            uid = 0;
        } else if (isNumber(userPart)) {
            uid = Long.parseLong(userPart);
        } else {
            entry = passwd.stream().filter(p -> p.name.equals(userPart)).findFirst().orElseThrow(() ->
                    BackendException.invalidArgument("%s: user '%s' is not in the image's /etc/passwd", source, userPart));
            uid = entry.uid;
        }
        if (entry == null) {
            entry = passwd.stream().filter(p -> p.uid == uid).findFirst().orElse(null);
        }
        List<String[]> groups = groups(rootfs);
        long gid;
        if (runAsGroup >= 0) {
            gid = runAsGroup;
        } else if (!groupPart.isEmpty()) {
            gid = isNumber(groupPart) ? Long.parseLong(groupPart) : groups.stream().filter(g -> g[0].equals(groupPart))
                    .findFirst().map(g -> parseId(g[2])).filter(g -> g >= 0).orElseThrow(() -> BackendException.invalidArgument(
                            "%s: group '%s' is not in the image's /etc/group", source, groupPart));
        } else {
            gid = entry == null ? 0 : entry.gid;
        }
        Set<Long> extra = new LinkedHashSet<>();
        if (entry != null && !strictGroups) {
            for (String[] g : groups) {
                if (g.length > 3 && List.of(g[3].split(",")).contains(entry.name) && parseId(g[2]) >= 0) {
                    extra.add(parseId(g[2]));
                }
            }
        }
        extra.addAll(supplementalGroups);
        extra.remove(gid);
        String home = entry == null || entry.home.isEmpty() ? "/" : entry.home;
        return new ImageUser(uid, gid, List.copyOf(extra), home);
    }

    /** The user and group parts: from the security context when it names a user, else from the image. */
    private static String[] split(String imageUser, long runAsUser, String runAsUsername) {
        if (runAsUser >= 0) {
            return new String[] {Long.toString(runAsUser), ""};
        }
        if (!runAsUsername.isEmpty()) {
            return new String[] {runAsUsername, ""};
        }
        int colon = imageUser.indexOf(':');
        return colon < 0 ? new String[] {imageUser, ""} : new String[] {imageUser.substring(0, colon), imageUser.substring(colon + 1)};
    }

    private static List<Passwd> passwd(Path rootfs) throws IOException {
        List<Passwd> out = new ArrayList<>();
        for (String[] f : lines(rootfs, "/etc/passwd")) {
            if (f.length >= 4 && parseId(f[2]) >= 0 && parseId(f[3]) >= 0) {
                out.add(new Passwd(f[0], parseId(f[2]), parseId(f[3]), f.length > 5 ? f[5] : ""));
            }
        }
        return out;
    }

    private static List<String[]> groups(Path rootfs) throws IOException {
        return lines(rootfs, "/etc/group").stream().filter(f -> f.length >= 3).toList();
    }

    private static List<String[]> lines(Path rootfs, String file) throws IOException {
        Optional<String> text = RootfsFiles.read(rootfs, file);
        List<String[]> out = new ArrayList<>();
        text.ifPresent(t -> t.lines().map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .forEach(l -> out.add(l.split(":", -1))));
        return out;
    }

    private static boolean isNumber(String s) {
        return !s.isEmpty() && s.length() < 12 && s.chars().allMatch(Character::isDigit);
    }

    private static long parseId(String s) {
        return isNumber(s.trim()) ? Long.parseLong(s.trim()) : -1;
    }
}
