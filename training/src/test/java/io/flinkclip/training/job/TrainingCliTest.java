package io.flinkclip.training.job;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingCliTest {
    @Test
    void parsesACaptionsDatasetRun(@TempDir Path dir) throws IOException {
        StringBuilder tsv = new StringBuilder();
        for (int i = 0; i < 20; i++) tsv.append("img").append(i).append(".png\tcaption ").append(i).append('\n');
        Files.writeString(dir.resolve("c.tsv"), tsv);
        TrainingCli.Plan p = TrainingCli.parse(new String[]{"--factory", ToyFactory.class.getName(), "--out", dir.resolve("o").toString(),
                "--captions", dir.resolve("c.tsv").toString(), "--batch", "4", "--epochs", "3", "--lr", "1e-3", "--warmup", "2",
                "--resolution", "4", "--context", "6", "--no-decay-embeddings"});
        assertEquals(20, p.data().size());
        assertEquals(15, p.config().trainer().schedule().totalSteps());
        assertEquals(2, p.config().trainer().schedule().warmupSteps());
        assertEquals(4, p.config().trainer().chunkSize());
        assertTrue(p.factory() instanceof ToyFactory);
        assertEquals(60000, p.checkpointMillis());
    }

    @Test
    void rejectsBadCommandLines(@TempDir Path dir) {
        assertThrows(IllegalArgumentException.class, () -> TrainingCli.parse(new String[]{"--bogus", "1"}));
        assertThrows(IllegalArgumentException.class, () -> TrainingCli.parse(new String[]{"--factory", "x", "--out", "o"}));
        assertThrows(IllegalArgumentException.class, () -> TrainingCli.parse(new String[]{"--batch"}));
        assertThrows(IllegalArgumentException.class, () -> TrainingCli.parse(new String[]{"--captions", "a", "--shards", "b", "--out", "o"}));
    }
}
