/**
 * Web plumbing shared by every module: RFC 9457 problems with stable codes ({@link org.malipo.gateway.api.ProblemCode}), strict JSON reading of request bodies, request ids. Not the place for any capability's handlers, which live with their module.
 */
package org.malipo.gateway.api;
