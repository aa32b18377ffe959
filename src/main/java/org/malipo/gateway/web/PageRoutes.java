package org.malipo.gateway.web;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * {@code GET /assets/{app}/{file}}: the pages' scripts, styles and images, unauthenticated (they
 * hold no data; the data comes from the API with the page's credentials). Each app maps its own
 * page routes (such as {@code /checkout/{id}}) to its {@code index.html} through {@link PageAssets}.
 */
@Configuration(proxyBeanMethods = false)
class PageRoutes {

  @Bean
  RouterFunction<ServerResponse> pageAssetRoutes(PageAssets assets) {
    return RouterFunctions.route()
        .GET("/assets/{app}/{*file}", request -> assets.serve(request.pathVariable("app"),
            request.pathVariable("file").substring(1)))
        .build();
  }
}
