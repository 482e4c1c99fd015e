package io.flinkclip.flink.control;

import io.flinkclip.flink.control.proto.ControlMessage;
import io.flinkclip.flink.control.proto.LabelSet;
import io.flinkclip.flink.control.proto.ModelUpdate;
import io.flinkclip.flink.control.proto.QuerySet;
import io.flinkclip.flink.control.proto.StandingQuery;

import java.util.List;

/** Builds serialized control messages, the element type of a control stream. */
public final class ControlMessages {
    private ControlMessages() {}

    public static byte[] labels(long version, List<String> labels, List<String> templates) {
        return ControlMessage.newBuilder().setVersion(version)
                .setLabels(LabelSet.newBuilder().addAllLabels(labels).addAllTemplates(templates)).build().toByteArray();
    }

    public static byte[] queries(long version, List<StandingQuery> queries) {
        return ControlMessage.newBuilder().setVersion(version)
                .setQueries(QuerySet.newBuilder().addAllQueries(queries)).build().toByteArray();
    }

    public static byte[] model(long version, String location) {
        return ControlMessage.newBuilder().setVersion(version)
                .setModel(ModelUpdate.newBuilder().setLocation(location)).build().toByteArray();
    }

    public static StandingQuery query(String id, String text, float threshold) {
        return StandingQuery.newBuilder().setId(id).setText(text).setThreshold(threshold).build();
    }
}
