/**
 * Merchants, the tenants of the gateway: the operator-only {@code POST /v1/merchants} (scope
 * {@code admin}) that creates a merchant together with its first API client in one transaction
 * and shows that client's secret once, and the seeding of local demo merchants in the
 * {@code local} profile. Non-goals: no reading, listing, updating or deleting merchants over the
 * API yet, no merchant onboarding (KYC) and no self-service client management; payments and
 * balances belong to their own modules, which scope every query by the principal's merchant id.
 */
package org.malipo.gateway.merchant;
