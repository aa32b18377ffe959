/**
 * Chooses and ranks candidate rails for a payment method and currency. Calling rails and failing over is the pipeline's job; resilience is the rail module's.
 */
package org.malipo.gateway.routing;
