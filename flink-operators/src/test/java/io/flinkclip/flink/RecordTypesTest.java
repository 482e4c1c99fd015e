package io.flinkclip.flink;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** The stream element types are serialized by Flink's POJO serializer (records), not by Kryo. */
class RecordTypesTest {
    @Test
    void elementTypesArePojos() {
        for (Class<?> c : List.of(ImageRecord.class, TextRecord.class, Embedding.class, Classification.class, LabelScore.class,
                QueryMatch.class, BadRecord.class, ControlApplied.class)) {
            assertInstanceOf(PojoTypeInfo.class, TypeInformation.of(c), c.getName());
        }
    }
}
