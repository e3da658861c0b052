package io.crisp.core.image.ref;

import io.crisp.core.config.ConfigException;
import io.crisp.core.image.ref.RegistriesConf.Registry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * registries.conf with its drop-in directory, as containers-registries.conf.d(5) describes: the
 * main file (when it exists), then every regular file named {@code *.conf} in {@code <file>.d}
 * ({@code /etc/containers/registries.conf.d} for the default path), in lexical order of the file
 * names; other files and subdirectories are ignored. Each file is read and checked on its own, then
 * merged into what came before:
 * <ul>
 *   <li>a {@code [[registry]]} table whose (effective) prefix an earlier table has replaces that
 *       table in place (every earlier one with that prefix); a table with a new prefix is added;</li>
 *   <li>{@code unqualified-search-registries}, when a later file sets it (even to {@code []}),
 *       replaces the earlier list.</li>
 * </ul>
 * The merged tables are checked together (tables of one location must agree on {@code insecure}
 * and {@code blocked}), and every message names the file a table came from.
 */
final class RegistriesConfDropIns {
    private RegistriesConfDropIns() {}

    static RegistriesConf load(Path file) {
        Path dir = file.resolveSibling(file.getFileName() + ".d");
        List<Path> dropIns = dropIns(dir);
        RegistriesConf main = RegistriesConf.loadIfExists(file);
        if (dropIns.isEmpty()) {
            return main;
        }
        List<Registry> registries = new ArrayList<>(main.registries());
        List<String> search = main.unqualifiedSearchRegistries();
        for (Path dropIn : dropIns) {
            RegistriesConf next = RegistriesConf.load(dropIn);
            for (Registry table : next.registries()) {
                int at = -1;
                for (int i = registries.size() - 1; i >= 0; i--) {
                    if (registries.get(i).prefix().equals(table.prefix())) {
                        registries.remove(i);
                        at = i;
                    }
                }
                if (at < 0) {
                    registries.add(table);
                } else {
                    registries.add(at, table);
                }
            }
            if (next.setsSearchRegistries()) {
                search = next.unqualifiedSearchRegistries();
            }
        }
        return RegistriesConf.merged(file, registries, search);
    }

    private static List<Path> dropIns(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(p -> p.getFileName().toString().endsWith(".conf") && Files.isRegularFile(p))
                    .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new ConfigException(dir + ": cannot list the registries.conf drop-in directory: " + e.getMessage(), e);
        }
    }
}
