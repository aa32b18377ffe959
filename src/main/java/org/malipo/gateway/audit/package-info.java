/**
 * The audit log of security-relevant actions (docs/adr/0055-audit-log.md): the append-only table
 * {@code audit_events}, written in the transaction of the action it records, the caller's source
 * address (trusted proxies only), the start-up record of a new signing key, and the operators'
 * {@code GET /v1/audit_events}. Non-goals: it is not an application log, holds no secrets, and
 * offers merchants no view of their own events yet.
 */
package org.malipo.gateway.audit;
