package org.malipo.gateway.audit;

import java.util.Locale;

/**
 * The security-relevant actions the audit log records (docs/adr/0055-audit-log.md). The wire name
 * ({@code merchant.created}) is stored and filtered on; never rename one.
 */
public enum AuditAction {
  MERCHANT_CREATED("merchant"),
  CLIENT_CREATED("client"),
  CLIENT_REVOKED("client"),
  SIGNING_KEY_ACTIVATED("signing_key"),
  WEBHOOK_ENDPOINT_CREATED("webhook_endpoint"),
  WEBHOOK_ENDPOINT_DELETED("webhook_endpoint"),
  WEBHOOK_ENDPOINT_SECRET_ROTATED("webhook_endpoint"),
  REFUND_CREATED("refund"),
  PAYOUT_CREATED("payout"),
  LEDGER_TRIAL_BALANCE_READ("ledger"),
  AUDIT_EVENTS_READ("audit_events"),
  RECONCILIATION_RUN_CREATED("reconciliation_run"),
  EXCEPTION_RESOLVED("exception"),
  MERCHANT_PRICING_UPDATED("merchant_pricing"),
  REPORT_READ("report"),
  /** An operator logged in to the console (issue 24). */
  CONSOLE_SESSION_CREATED("console_session"),
  /** An operator logged out of the console, or the session was refused. */
  CONSOLE_SESSION_ENDED("console_session"),
  /** An operator sent a dead webhook delivery again as a new delivery (issue 24). */
  WEBHOOK_DELIVERY_REDELIVERED("webhook_delivery"),
  /** An operator acknowledged a quarantined callback with a note (issue 24). */
  CALLBACK_DISMISSED("callback"),
  /** An operator sent an orphan callback back to the processor (issue 24). */
  CALLBACK_REPROCESSED("callback"),
  /** An operator uploaded exchange rates ({@code POST /v1/fx_rates}, issue 23). */
  FX_RATES_UPLOADED("fx_rates");

  private final String targetType;

  AuditAction(String targetType) {
    this.targetType = targetType;
  }

  /** What kind of object the action is about, e.g. {@code webhook_endpoint}. */
  public String targetType() {
    return targetType;
  }

  /** {@code webhook_endpoint.secret_rotated}: the target type, a dot, the past-tense verb. */
  public String wireName() {
    String name = name().toLowerCase(Locale.ROOT);
    return targetType + "." + name.substring(targetType.length() + 1);
  }

  /** The action with this wire name, or {@code null}. */
  public static AuditAction fromWireName(String wireName) {
    for (AuditAction action : values()) {
      if (action.wireName().equals(wireName)) {
        return action;
      }
    }
    return null;
  }
}
