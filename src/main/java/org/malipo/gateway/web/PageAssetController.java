package org.malipo.gateway.web;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /assets/{app}/{file}}: the pages' scripts, styles and images, unauthenticated (they
 * hold no data; the data comes from the API with the page's credentials). Each app maps its own
 * page routes (such as {@code /checkout/{id}}) to its {@code index.html} through {@link PageAssets}.
 */
@RestController
class PageAssetController {

  private final PageAssets assets;

  PageAssetController(PageAssets assets) {
    this.assets = assets;
  }

  @GetMapping("/assets/{app}/{file}")
  ResponseEntity<byte[]> asset(@PathVariable String app, @PathVariable String file) {
    return assets.serve(app, file);
  }
}
