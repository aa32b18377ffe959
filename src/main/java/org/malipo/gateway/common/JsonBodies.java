package org.malipo.gateway.common;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Reads a body that is never trusted to be well formed (a rail's answer or callback, a request to
 * a sandbox simulator) into a JSON object, so the adapters and simulators map "not JSON" and "not
 * an object" the same way: as no answer.
 */
public final class JsonBodies {

  private JsonBodies() {}

  /**
   * The body as a JSON object.
   *
   * @param json the mapper to read with
   * @param body the raw bytes, possibly empty
   * @return the object, or {@code null} when the body is empty, not JSON, or JSON but not an object
   */
  public static JsonNode object(ObjectMapper json, byte[] body) {
    if (body == null || body.length == 0) {
      return null;
    }
    try {
      JsonNode node = json.readTree(body);
      return node != null && node.isObject() ? node : null;
    } catch (JacksonException e) {
      return null;
    }
  }
}
