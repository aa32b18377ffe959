package org.malipo.gateway.simulation;

import reactor.util.context.ContextView;

/**
 * Who a piece of reactive work belongs to in the simulation, carried in the Reactor context: the
 * payment whose request started it (or {@code -1} for the reconciler, the callback processor and
 * the checks) and the incarnation of the instance it runs on. The gateway copies the request's
 * context into the detached payment ({@code DetachedPayments}), and R2DBC, Lettuce and the rails
 * see it when they are subscribed, so a fault can be aimed at one payment's statements and an
 * instance that "died" can be told from the one that replaced it.
 *
 * @param payment the payment's index in the seed, or {@code -1} for an actor
 * @param incarnation the instance's incarnation when the work started
 * @param actor {@code client}, {@code reconciler}, {@code callbacks} or {@code checks}
 * @param redisDown whether Redis fails every command of this work
 * @param request for a client, 0 for its first request and 1, 2 … for its retries with the same
 *     key (faults aimed at a payment hit its first request only)
 */
record SimTag(int payment, int incarnation, String actor, boolean redisDown, int request) {

  static final String CLIENT = "client";
  static final String RECONCILER = "reconciler";
  static final String CALLBACKS = "callbacks";


  /** The tag of the work subscribed with {@code context}, or null outside the simulation. */
  static SimTag of(ContextView context) {
    return context.getOrDefault(SimTag.class, null);
  }
}
