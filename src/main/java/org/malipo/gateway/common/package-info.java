/**
 * Value types and small services used everywhere: {@link org.malipo.gateway.common.Money} in minor units, ISO 4217 currencies, prefixed time-ordered ids, the clock, pipeline stage metrics, and {@link org.malipo.gateway.common.SingleStatement}, which assembles the CTEs of several packages into one SQL statement. No I/O of their own, except that {@code SingleStatement} runs the statement it built.
 */
package org.malipo.gateway.common;
