/**
 * Rail callbacks and the resolution of pending payments: the {@code /v1/callbacks/{rail}/{token}}
 * endpoints (raw body to the {@code inbox} table first, then the rail's acknowledgement), the
 * asynchronous processor that matches, checks, confirms and applies each callback exactly once with
 * a verdict, the sweeper that queries rails for payments whose callback never came, and the
 * reconciler that resolves payments left {@code processing} by an unknown attempt through the
 * rail's status query (docs/adr/0042-unknown-card-attempts.md).
 *
 * <p>Non-goals: reversals of late funds (logged and left in suspense for operations), the
 * rails' wire formats (each rail adapter reads its own callbacks).
 */
package org.malipo.gateway.callback;
