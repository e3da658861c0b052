package io.crisp.plugin.faulty;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * What the control file asks for now. The file holds one line, {@code MODE [METHODS]}:
 * <ul>
 *   <li>{@code ok} (or no file, or an empty one): every call goes to runc.</li>
 *   <li>{@code hang}: the call blocks until the file says otherwise, then goes on to runc.</li>
 *   <li>{@code sleep:MILLIS}: the call sleeps that long, then goes on to runc.</li>
 *   <li>{@code throw}: the call throws an unchecked {@link IllegalStateException}.</li>
 *   <li>{@code null}: a call that returns something returns null.</li>
 *   <li>{@code allocate:MIB}: the call allocates and keeps that many MiB (until the mode changes), then goes on.</li>
 * </ul>
 * METHODS is a comma-separated list of SPI method names ({@code runSandbox,health}), {@code create}
 * for the plugin's create, or {@code *} (the default) for every method but {@code create},
 * {@code capabilities} and {@code close}.
 */
record Fault(String mode, long amount, Set<String> methods) {
    static final Fault OK = new Fault("ok", 0, Set.of());

    static Fault read(Path control) {
        String line;
        try {
            line = Files.readString(control).trim();
        } catch (NoSuchFileException e) {
            return OK;
        } catch (IOException e) {
            throw new IllegalStateException("faulty: cannot read control file " + control + ": " + e.getMessage(), e);
        }
        if (line.isEmpty()) {
            return OK;
        }
        String[] parts = line.split("\\s+", 2);
        String[] modeAndAmount = parts[0].toLowerCase(Locale.ROOT).split(":", 2);
        long amount = modeAndAmount.length == 2 ? Long.parseLong(modeAndAmount[1]) : 0;
        Set<String> methods = parts.length == 2 ? Set.of(parts[1].trim().split("\\s*,\\s*")) : Set.of("*");
        return new Fault(modeAndAmount[0], amount, methods);
    }

    boolean appliesTo(String method) {
        if (mode.equals("ok")) {
            return false;
        }
        if (methods.contains(method)) {
            return true;
        }
        return methods.contains("*") && !Set.of("create", "capabilities", "close").contains(method);
    }
}
