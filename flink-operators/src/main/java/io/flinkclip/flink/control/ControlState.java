package io.flinkclip.flink.control;

import com.google.protobuf.InvalidProtocolBufferException;
import io.flinkclip.flink.control.proto.ControlMessage;
import io.flinkclip.flink.control.proto.ControlSnapshot;
import io.flinkclip.flink.control.proto.LabelSet;
import io.flinkclip.flink.control.proto.QuerySet;
import io.flinkclip.flink.control.proto.StandingQuery;

import java.util.List;

/**
 * The effective control state of an operator (label set, standing queries, model location, version):
 * an immutable view over a {@link ControlSnapshot}, which is also its checkpointed form.
 */
public final class ControlState {
    private final ControlSnapshot snapshot;

    private ControlState(ControlSnapshot snapshot) { this.snapshot = snapshot; }

    public static ControlState initial(String modelLocation, List<String> labels, List<String> templates, List<StandingQuery> queries) {
        return new ControlState(ControlSnapshot.newBuilder()
                .setVersion(0)
                .setModelLocation(modelLocation)
                .setLabels(LabelSet.newBuilder().addAllLabels(labels).addAllTemplates(templates))
                .setQueries(QuerySet.newBuilder().addAllQueries(queries))
                .build());
    }

    public static ControlState fromBytes(byte[] bytes) {
        try {
            return new ControlState(ControlSnapshot.parseFrom(bytes));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("corrupt checkpointed CLIP control state", e);
        }
    }

    public byte[] toBytes() { return snapshot.toByteArray(); }

    public long version() { return snapshot.getVersion(); }

    public String modelLocation() { return snapshot.getModelLocation(); }

    public List<String> labels() { return snapshot.getLabels().getLabelsList(); }

    public List<String> templates() { return snapshot.getLabels().getTemplatesList(); }

    public List<StandingQuery> queries() { return snapshot.getQueries().getQueriesList(); }

    /** Whether a message is newer than this state (older or repeated versions are ignored). */
    public boolean accepts(ControlMessage m) { return m.getVersion() > snapshot.getVersion(); }

    /** The state after applying {@code m}; validates the message first. */
    public ControlState apply(ControlMessage m) {
        ControlSnapshot.Builder b = snapshot.toBuilder().setVersion(m.getVersion());
        switch (m.getUpdateCase()) {
            case LABELS -> {
                if (m.getLabels().getLabelsCount() == 0) throw new IllegalArgumentException("label set is empty");
                for (String l : m.getLabels().getLabelsList()) {
                    if (l.isBlank()) throw new IllegalArgumentException("label set contains a blank label");
                }
                b.setLabels(m.getLabels());
            }
            case QUERIES -> {
                for (StandingQuery q : m.getQueries().getQueriesList()) {
                    if (q.getText().isBlank()) throw new IllegalArgumentException("standing query '" + q.getId() + "' has no text");
                }
                b.setQueries(m.getQueries());
            }
            case MODEL -> {
                if (m.getModel().getLocation().isBlank()) throw new IllegalArgumentException("model update without a location");
                b.setModelLocation(m.getModel().getLocation());
            }
            case UPDATE_NOT_SET -> throw new IllegalArgumentException("control message " + m.getVersion() + " carries no update");
        }
        return new ControlState(b.build());
    }
}
