package org.malipo.gateway.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * The browser pages' built files ({@code web/<app>/...} on the classpath, written by
 * {@code web/build.mjs}; web/README.md), read once at start-up so that serving them never touches
 * the disk on an event-loop thread. Every answer carries {@link #CONTENT_SECURITY_POLICY}: scripts,
 * styles and connections from this origin only, nothing inline, never framed.
 */
@Component
public final class PageAssets {

  /**
   * The pages' policy (CSP Level 3): only this origin's files, no inline script or style, no
   * plugins, no framing, forms posting back here only. The API keeps its stricter
   * {@code default-src 'none'} (api.SecurityHeadersFilter leaves a handler's own policy alone).
   */
  public static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
      + "img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; "
      + "frame-ancestors 'none'";

  private static final Map<String, MediaType> TYPES = Map.of(
      "html", MediaType.TEXT_HTML,
      "js", MediaType.parseMediaType("text/javascript"),
      "css", MediaType.parseMediaType("text/css"),
      "svg", MediaType.parseMediaType("image/svg+xml"),
      "png", MediaType.IMAGE_PNG,
      "json", MediaType.APPLICATION_JSON,
      "ico", MediaType.parseMediaType("image/x-icon"));

  private final Map<String, byte[]> files = new HashMap<>();

  PageAssets() {
    try {
      for (Resource resource : new PathMatchingResourcePatternResolver().getResources("classpath*:web/**/*.*")) {
        String url = resource.getURL().toString();
        String path = url.substring(url.lastIndexOf("/web/") + "/web/".length());
        try (InputStream in = resource.getInputStream()) {
          files.put(path, in.readAllBytes());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not read the pages' files under classpath:web/", e);
    }
  }

  /**
   * One built file of an app.
   *
   * @param app the app's directory under web/src, such as {@code checkout}
   * @param file the file's path in it, such as {@code app.js} or {@code index.html}
   * @return the file's bytes, or empty if there is no such file
   */
  public Optional<byte[]> file(String app, String file) {
    return Optional.ofNullable(files.get(app + "/" + file));
  }

  /**
   * Answers with one built file of an app, with its media type, the pages' Content-Security-Policy
   * and {@code Cache-Control: no-cache} (revalidated, so a new release is seen at once); 404 if
   * there is no such file or its type is not one a page uses.
   */
  public Mono<ServerResponse> serve(String app, String file) {
    MediaType type = TYPES.get(file.substring(file.lastIndexOf('.') + 1));
    byte[] body = files.get(app + "/" + file);
    if (type == null || body == null || file.contains("..")) {
      return ServerResponse.notFound().build();
    }
    return ServerResponse.ok()
        .contentType(type)
        .header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .cacheControl(CacheControl.noCache())
        .bodyValue(body);
  }
}
