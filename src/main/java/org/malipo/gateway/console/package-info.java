/**
 * The operations console (issue 24, docs/console.md, ADR 0094): the page at {@code /console}, its
 * login (client credentials exchanged for a server-side session in Redis behind an HttpOnly,
 * SameSite=Strict cookie), the double-submit CSRF check and the read-only regulator role. The page
 * calls the existing admin API with the session cookie ({@link ConsoleSessionFilter}).
 */
package org.malipo.gateway.console;
