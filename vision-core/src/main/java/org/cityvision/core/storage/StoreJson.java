package org.cityvision.core.storage;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.time.Instant;

/**
 * The JSON form of stored records. Instants are ISO-8601 strings; unknown fields are ignored so
 * that an older node can read what a newer one wrote.
 */
public final class StoreJson {
  static final ObjectMapper MAPPER = create();

  private StoreJson() {}

  private static ObjectMapper create() {
    // jackson-datatype-jsr310 is not a declared dependency; two small adapters are enough.
    SimpleModule time = new SimpleModule("cityvision-instant");
    time.addSerializer(
        Instant.class,
        new JsonSerializer<>() {
          @Override
          public void serialize(Instant value, JsonGenerator gen, SerializerProvider provider)
              throws IOException {
            gen.writeString(value.toString());
          }
        });
    time.addDeserializer(
        Instant.class,
        new JsonDeserializer<>() {
          @Override
          public Instant deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            return Instant.parse(p.getValueAsString());
          }
        });
    return new ObjectMapper()
        .registerModule(time)
        .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  }

  public static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
    }
  }

  public static <T> T read(byte[] bytes, Class<T> type, String key) throws StorageException {
    try {
      return MAPPER.readValue(bytes, type);
    } catch (IOException | IllegalArgumentException e) {
      throw new StorageException("object " + key + " is not a valid " + type.getSimpleName(), e);
    }
  }
}
