/**
 * Start-up configuration checks: which settings each profile ({@code local}, {@code sandbox},
 * production) needs from the deployment, checked before any bean exists so a misconfigured pod
 * stops at once with one message naming every missing setting and its environment variable
 * (docs/configuration.md, docs/adr/0066-profiles-and-required-secrets.md). Not here: the settings
 * themselves, which each module binds in its own {@code *Properties}.
 */
package org.malipo.gateway.config;
