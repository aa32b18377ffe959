/**
 * Checkout sessions (issue 19): a merchant's server creates a session for one order; a mobile app
 * or the hosted page pays it with the publishable key and the session's client secret. A session
 * is {@code open} until one of its payments succeeds ({@code complete}) or it expires (by time or
 * by the merchant). Non-goals here: the payment itself, which is the {@code payment} module's.
 */
package org.malipo.gateway.checkout;
