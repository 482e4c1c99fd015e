package io.flinkclip.training.job;

import io.flinkclip.model.TextTokenizer;
import io.flinkclip.model.image.ImageDecodeException;
import io.flinkclip.training.data.ImageRaster;
import io.flinkclip.training.data.RandomResizedCrop;
import io.flinkclip.training.data.RawPair;
import io.flinkclip.training.data.TrainPair;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;

import java.util.SplittableRandom;

/**
 * Parallel decode → RandomResizedCrop → normalise, and tokenisation. The crop's randomness is seeded from
 * (job seed, pair index) only, so the output does not depend on which subtask handles a pair or on replays.
 * Undecodable images become skipped markers (counted in the {@code skippedImages} metric), never failures.
 */
public final class PairPreprocessor extends RichMapFunction<RawPair, TrainPair> {
    private final TrainingModelFactory factory;
    private final TrainingConfig cfg;
    private transient TextTokenizer tokenizer;
    private transient Counter skipped;

    public PairPreprocessor(TrainingModelFactory factory, TrainingConfig cfg) {
        this.factory = factory;
        this.cfg = cfg;
    }

    @Override
    public void open(OpenContext ctx) {
        tokenizer = factory.createTokenizer();
        skipped = getRuntimeContext().getMetricGroup().counter("skippedImages");
    }

    @Override
    public TrainPair map(RawPair p) {
        return process(p, tokenizer, cfg, skipped);
    }

    static TrainPair process(RawPair p, TextTokenizer tokenizer, TrainingConfig cfg, Counter skipped) {
        return process(p, tokenizer, cfg, skipped, true);
    }

    /** With {@code augment} false the crop is the centred largest square (evaluation), else a RandomResizedCrop. */
    static TrainPair process(RawPair p, TextTokenizer tokenizer, TrainingConfig cfg, Counter skipped, boolean augment) {
        try {
            int w, h;
            byte[] rgb;
            if (p.rgb != null) {
                w = p.width; h = p.height; rgb = p.rgb;
            } else {
                ImageRaster r = ImageRaster.decode(p.encoded, p.origin);
                w = r.width(); h = r.height(); rgb = r.rgb();
            }
            RandomResizedCrop.Box box;
            if (augment) {
                SplittableRandom rnd = new SplittableRandom(cfg.seed() ^ (p.index * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL));
                box = RandomResizedCrop.sample(w, h, cfg.cropScaleMin(), cfg.cropScaleMax(), rnd);
            } else {
                int s = Math.min(w, h);
                box = new RandomResizedCrop.Box((w - s) / 2, (h - s) / 2, s, s);
            }
            float[] px = RandomResizedCrop.cropResizeNormalise(rgb, w, h, box, cfg.imageResolution());
            return new TrainPair(p.index, px, tokenizer.tokenize(p.caption == null ? "" : p.caption, cfg.contextLength()));
        } catch (ImageDecodeException | IllegalArgumentException e) {
            if (skipped != null) skipped.inc();
            return TrainPair.skipped(p.index, e.getMessage());
        }
    }
}
