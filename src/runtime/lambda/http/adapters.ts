// The ordered table of HTTP event adapters. ALB is checked before REST v1 (both have
// httpMethod; only ALB has requestContext.elb); HTTP API v2 before Lattice v2 (both say
// version "2.0"; only HTTP API has requestContext.http).

import { alb } from "./alb.js";
import { authorizerKind } from "./authorizer.js";
import { apigwV1 } from "./apigw-v1.js";
import { apigwV2 } from "./apigw-v2.js";
import { latticeV2 } from "./lattice-v2.js";
import type { EventAdapter } from "./types.js";

export const adapters: EventAdapter[] = [apigwV2, alb, apigwV1, latticeV2];

/** Authorizer requests look like HTTP events but are none: they go to the handler. */
export function pickAdapter(event: unknown): EventAdapter | undefined {
  if (authorizerKind(event)) return undefined;
  return adapters.find((a) => a.matches(event));
}
