/**
 * Rail callbacks and the resolution of pending payments: the {@code /v1/callbacks/{rail}/{token}}
 * endpoints (raw body to the {@code inbox} table first, then the rail's acknowledgement), the
 * asynchronous processor that matches, checks, confirms and applies each callback exactly once with
 * a verdict, and the sweeper that queries rails for payments whose callback never came.
 *
 * <p>Non-goals: reversals of late funds (logged and left in suspense for operations), the
 * rails' wire formats (each rail adapter reads its own callbacks).
 */
package org.malipo.gateway.callback;
