/**
 * Value types and small services used everywhere: {@link org.malipo.gateway.common.Money} in minor units, ISO 4217 currencies, prefixed time-ordered ids, the clock, pipeline stage metrics. No I/O.
 */
package org.malipo.gateway.common;
