package io.crisp.core.oci;

/**
 * A seccomp or AppArmor choice from the CRI ({@code SecurityProfile} or the deprecated string form).
 *
 * @param kind what to apply
 * @param localhostRef for {@link Kind#LOCALHOST}: the seccomp JSON file (absolute path) or the AppArmor
 *     profile name; "" otherwise
 * @param field the CRI field path the choice came from, named in errors raised when the spec is built
 */
public record SecurityProfile(Kind kind, String localhostRef, String field) {
    /** Which profile. */
    public enum Kind {
        RUNTIME_DEFAULT, UNCONFINED, LOCALHOST
    }

    public static final SecurityProfile UNCONFINED = new SecurityProfile(Kind.UNCONFINED, "", "");

    public SecurityProfile {
        kind = kind == null ? Kind.UNCONFINED : kind;
        localhostRef = localhostRef == null ? "" : localhostRef;
        field = field == null ? "" : field;
    }
}
