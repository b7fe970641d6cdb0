// The ordered table of HTTP event adapters. ALB is checked before REST v1 (both have
// httpMethod; only ALB has requestContext.elb); HTTP API v2 before Lattice v2 (both say
// version "2.0"; only HTTP API has requestContext.http). Lattice v1 is the only one with raw_path.

import { alb } from "./alb.js";
import { authorizerKind } from "./authorizer.js";
import { apigwV1 } from "./apigw-v1.js";
import { apigwV2 } from "./apigw-v2.js";
import { latticeV1 } from "./lattice-v1.js";
import { latticeV2 } from "./lattice-v2.js";
import { isObject } from "./shared.js";
import type { EventAdapter } from "./types.js";

export const adapters: EventAdapter[] = [apigwV2, alb, apigwV1, latticeV2, latticeV1];

/**
 * API Gateway WebSocket events (CONNECT, MESSAGE, DISCONNECT on a connectionId) can carry
 * httpMethod and path too, but want a route's answer, not an HTTP response: the handler's.
 */
export function isWebSocket(event: unknown): boolean {
  const rc = isObject(event) ? event.requestContext : undefined;
  return isObject(rc) && typeof rc.connectionId === "string" && typeof rc.eventType === "string";
}

/** Authorizer requests and WebSocket events look like HTTP events but are none: they go to the handler. */
export function pickAdapter(event: unknown): EventAdapter | undefined {
  if (authorizerKind(event) || isWebSocket(event)) return undefined;
  return adapters.find((a) => a.matches(event));
}
