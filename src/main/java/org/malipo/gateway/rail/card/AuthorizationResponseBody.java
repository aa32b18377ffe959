package org.malipo.gateway.rail.card;

/**
 * The response mapper's input: the acquirer's JSON answer to an authorization, read snake_case.
 * Unknown fields are ignored; missing ones are null.
 *
 * @param authorizationId the acquirer's id of the authorization ({@code auth_…})
 * @param responseCode ISO 8583 field 39, two characters ({@code "00"} approved)
 * @param approvalCode ISO 8583 field 38, six characters, on approvals only
 * @param stan ISO 8583 field 11, the system trace audit number
 * @param rrn ISO 8583 field 37, the retrieval reference number
 */
record AuthorizationResponseBody(
    String authorizationId, String responseCode, String approvalCode, String stan, String rrn) {}
