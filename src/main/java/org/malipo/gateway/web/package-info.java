/**
 * The browser pages the gateway serves (hosted checkout, console): their built files from the
 * classpath with a page Content-Security-Policy. The pages' sources and browser tests live in
 * {@code web/} (web/README.md).
 */
package org.malipo.gateway.web;
