package io.crisp.core.state;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrashBinTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void aDiscardedTreeLeavesItsNameAtOnceAndIsDeletedInTheBackground() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("abc/sub"));
        Files.writeString(tree.resolve("file"), "x");
        CountDownLatch hold = new CountDownLatch(1);
        List<Path> deleted = Collections.synchronizedList(new ArrayList<>());
        TrashBin bin = new TrashBin(dir, "test", t -> {
            try {
                hold.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            FileTrees.delete(t);
            deleted.add(t);
        });

        bin.discard(dir.resolve("abc"));

        assertFalse(Files.exists(dir.resolve("abc"), NOFOLLOW_LINKS));
        List<String> inTrash = names(bin.directory());
        assertEquals(1, inTrash.size());
        assertTrue(inTrash.get(0).startsWith("abc-"), inTrash.toString());
        assertTrue(Files.exists(bin.directory().resolve(inTrash.get(0)).resolve("sub/file"))); // the thread waits
        hold.countDown();
        assertTrue(bin.awaitDeleted(WAIT));
        assertEquals(List.of(), names(bin.directory()));
        assertEquals(List.of(bin.directory().resolve(inTrash.get(0))), deleted);
        assertEquals(List.of(".trash"), names(dir));
    }

    @Test
    void anAbsentEntryIsFineAndTheSameNameMayBeDiscardedTwice() throws IOException {
        TrashBin bin = new TrashBin(dir, "test", t -> { });
        bin.discard(dir.resolve("never-there"));
        Files.createDirectory(dir.resolve("x"));
        bin.discard(dir.resolve("x"));
        Files.createDirectory(dir.resolve("x"));
        bin.discard(dir.resolve("x"));
        assertTrue(bin.awaitDeleted(WAIT));
        assertEquals(2, names(bin.directory()).size()); // this deleter keeps them
    }

    @Test
    void whatAKilledDaemonLeftInTheTrashIsDeletedWithoutFollowingSymlinks() throws IOException {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("precious"), "keep");
        Path left = Files.createDirectories(dir.resolve("served/.trash/id1-5/deep"));
        Files.createSymbolicLink(left.resolve("link"), outside);
        Files.writeString(left.resolve("file"), "x");

        TrashBin bin = new TrashBin(dir.resolve("served"), "test", FileTrees::delete);

        assertTrue(bin.awaitDeleted(WAIT));
        assertEquals(List.of(), names(bin.directory()));
        assertEquals("keep", Files.readString(outside.resolve("precious")));
    }

    @Test
    void aFailedDeletionStaysInTheTrashForTheNextStart() throws IOException {
        Files.createDirectory(dir.resolve("a"));
        TrashBin bin = new TrashBin(dir, "test", t -> {
            throw new IOException("refused");
        });
        bin.discard(dir.resolve("a"));
        assertTrue(bin.awaitDeleted(WAIT));
        assertEquals(1, names(bin.directory()).size());

        assertTrue(new TrashBin(dir, "test", FileTrees::delete).awaitDeleted(WAIT));
        assertEquals(List.of(), names(bin.directory()));
    }

    private static List<String> names(Path directory) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
