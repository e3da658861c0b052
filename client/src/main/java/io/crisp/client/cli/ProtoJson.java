package io.crisp.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * CRI messages as JSON for {@code inspect}, close to what protobuf's JsonFormat (not a dependency
 * here) prints with defaults included: camelCase names, enums by name, maps as objects, unset
 * messages and empty lists left out; {@code *_at} times (Unix nanoseconds) as RFC 3339 text, left out when 0.
 */
final class ProtoJson {
    static final ObjectMapper JSON = new ObjectMapper();

    private ProtoJson() {}

    static ObjectNode toJson(Message message) {
        ObjectNode node = JSON.createObjectNode();
        for (FieldDescriptor field : message.getDescriptorForType().getFields()) {
            if (field.isMapField()) {
                @SuppressWarnings("unchecked")
                List<Message> entries = (List<Message>) message.getField(field);
                if (entries.isEmpty()) {
                    continue;
                }
                FieldDescriptor keyField = field.getMessageType().findFieldByName("key");
                FieldDescriptor valueField = field.getMessageType().findFieldByName("value");
                Map<String, Object> sorted = new TreeMap<>();
                for (Message entry : entries) {
                    sorted.put(String.valueOf(entry.getField(keyField)), entry.getField(valueField));
                }
                ObjectNode map = node.putObject(field.getJsonName());
                sorted.forEach((k, v) -> map.set(k, value(valueField, v)));
            } else if (field.isRepeated()) {
                List<?> values = (List<?>) message.getField(field);
                if (values.isEmpty()) {
                    continue;
                }
                ArrayNode array = node.putArray(field.getJsonName());
                values.forEach(v -> array.add(value(field, v)));
            } else if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                if (message.hasField(field)) {
                    node.set(field.getJsonName(), toJson((Message) message.getField(field)));
                }
            } else if (field.getJavaType() == FieldDescriptor.JavaType.LONG && field.getName().endsWith("_at")) {
                long nanos = (Long) message.getField(field);
                if (nanos != 0) {
                    node.put(field.getJsonName(), Instant.ofEpochSecond(0, nanos).toString());
                }
            } else {
                node.set(field.getJsonName(), value(field, message.getField(field)));
            }
        }
        return node;
    }

    /** The info map of a verbose status: each value parsed as JSON, or kept as text when it is not JSON. */
    static ObjectNode info(Map<String, String> info) {
        ObjectNode node = JSON.createObjectNode();
        new TreeMap<>(info).forEach((key, text) -> {
            try {
                node.set(key, JSON.readTree(text));
            } catch (Exception e) {
                node.put(key, text);
            }
        });
        return node;
    }

    static String pretty(JsonNode node) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node);
        } catch (Exception e) {
            return node.toString();
        }
    }

    private static JsonNode value(FieldDescriptor field, Object value) {
        return switch (field.getJavaType()) {
            case MESSAGE -> toJson((Message) value);
            case ENUM -> JSON.getNodeFactory().textNode(((EnumValueDescriptor) value).getName());
            case BYTE_STRING -> JSON.getNodeFactory().textNode(Base64.getEncoder().encodeToString(((ByteString) value).toByteArray()));
            case STRING -> JSON.getNodeFactory().textNode((String) value);
            case BOOLEAN -> JSON.getNodeFactory().booleanNode((Boolean) value);
            case INT -> JSON.getNodeFactory().numberNode((Integer) value);
            case LONG -> JSON.getNodeFactory().numberNode((Long) value);
            case FLOAT -> JSON.getNodeFactory().numberNode((Float) value);
            case DOUBLE -> JSON.getNodeFactory().numberNode((Double) value);
        };
    }
}
