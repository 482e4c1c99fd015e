package io.flinkclip.tasks.data;

import io.flinkclip.tasks.testing.FakeClip;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class FolderAndCaptionsTest {
    @TempDir
    Path dir;

    @Test
    void imageFolderHasSortedClassesAndImages() throws IOException {
        Path b = Files.createDirectories(dir.resolve("bird")), a = Files.createDirectories(dir.resolve("apple"));
        Files.createDirectories(dir.resolve(".hidden"));
        Files.write(b.resolve("2.PNG"), FakeClip.png(1, 2, 3));
        Files.write(b.resolve("1.jpg"), new byte[] {1});
        Files.write(b.resolve("notes.txt"), new byte[] {1});
        Files.write(b.resolve(".x.png"), new byte[] {1});
        Files.write(a.resolve("z.png"), FakeClip.png(3, 2, 1));
        Files.createDirectories(b.resolve("nested")).resolve("deep.png").toFile().createNewFile();
        ImageFolderDataset ds = ImageFolderDataset.open(dir);
        assertEquals(List.of("apple", "bird"), ds.classNames());
        assertEquals(3, ds.size());
        assertArrayEquals(new int[] {0, 1, 1}, ds.labels());
        assertEquals("1.jpg", ds.file(1).getFileName().toString());
        assertArrayEquals(FakeClip.png(1, 2, 3), ds.image(2));
        assertEquals(List.of("an apple", "a bird"), ds.withClassNames(List.of("an apple", "a bird")).classNames());
        assertThrows(IllegalArgumentException.class, () -> ds.withClassNames(List.of("x")));
        Files.createDirectories(dir.resolve("empty"));
        assertTrue(assertThrows(IOException.class, () -> ImageFolderDataset.open(dir)).getMessage().contains("empty"));
        assertThrows(IOException.class, () -> ImageFolderDataset.open(dir.resolve("missing")));
    }

    @Test
    void tsvCaptionsGroupByImage() throws IOException {
        Path f = dir.resolve("caps.tsv");
        Files.writeString(f, "image\tcaption\nimg/a.png\ta red thing\nimg/b.png\tblue\n\nimg/a.png\t  another red  \n");
        CaptionsDataset ds = CaptionsDataset.load(f);
        assertEquals(List.of(dir.resolve("img/a.png").toAbsolutePath().normalize(), dir.resolve("img/b.png").toAbsolutePath().normalize()), ds.images());
        assertEquals(List.of("a red thing", "blue", "another red"), ds.captions());
        assertArrayEquals(new int[] {0, 1, 0}, ds.imageOfCaption());
        assertEquals("caps.tsv", ds.name());
        Files.writeString(f, "a.png no tab here\n");
        assertTrue(assertThrows(IOException.class, () -> CaptionsDataset.load(f)).getMessage().contains(":1:"));
    }

    @Test
    void jsonlCaptionsAcceptTheCommonKeys() throws IOException {
        Path f = dir.resolve("caps.jsonl");
        Files.writeString(f, "{\"image\": \"a.png\", \"caption\": \"one\"}\n{\"filepath\": \"/abs/b.png\", \"text\": \"two\"}\n{\"image\": \"a.png\", \"text\": \"three\"}\n");
        CaptionsDataset ds = CaptionsDataset.load(f);
        assertEquals(2, ds.images().size());
        assertEquals(Path.of("/abs/b.png"), ds.images().get(1));
        assertArrayEquals(new int[] {0, 1, 0}, ds.imageOfCaption());
        Files.writeString(f, "{\"image\": \"a.png\", \"caption\": \"one\"}\n{not json\n");
        assertTrue(assertThrows(IOException.class, () -> CaptionsDataset.load(f)).getMessage().contains(":2:"));
        Files.writeString(f, "{\"image\": \"a.png\"}\n");
        assertTrue(assertThrows(IOException.class, () -> CaptionsDataset.load(f)).getMessage().contains("caption/text"));
        Files.writeString(f, "\n");
        assertThrows(IOException.class, () -> CaptionsDataset.load(f));
        assertThrows(IOException.class, () -> CaptionsDataset.load(dir.resolve("x.csv")));
    }
}
