// VPC Lattice, event structure version 1.0 (Lattice's default for a Lambda target group):
// "Receive events from the VPC Lattice service" and "Respond to the VPC Lattice service"
// (https://docs.aws.amazon.com/vpc-lattice/latest/ug/lambda-functions.html). Snake-case keys,
// no requestContext; the response is the same as for version 2.0.

import { latticeV2 } from "./lattice-v2.js";
import { asArrays, decodeBody, encodePath, headerList, isObject, queryString, requestHeaders } from "./shared.js";
import type { EventAdapter } from "./types.js";

interface LatticeV1Event {
  raw_path: string;
  method: string;
  headers?: Record<string, string | string[]>;
  query_string_parameters?: Record<string, string | string[]> | null;
  body?: string | null;
  is_base64_encoded?: boolean;
}

export const latticeV1: EventAdapter<LatticeV1Event> = {
  name: "lattice-v1",
  matches: (e): e is LatticeV1Event => isObject(e) && typeof e.raw_path === "string" && typeof e.method === "string",
  toRequest(event) {
    const headers = headerList(undefined, asArrays(event.headers));
    // raw_path is the path as received; a query left in it is kept as sent, else the decoded parameters are encoded.
    const q = event.raw_path.indexOf("?");
    const url = q >= 0 ? encodePath(event.raw_path.slice(0, q)) + event.raw_path.slice(q) : encodePath(event.raw_path) + queryString(undefined, asArrays(event.query_string_parameters), true);
    return {
      method: event.method,
      url,
      ...requestHeaders(headers),
      body: decodeBody(event.body, event.is_base64_encoded),
      sourceIp: headers.find(([n]) => n.toLowerCase() === "x-forwarded-for")?.[1].split(",")[0]?.trim(),
    };
  },
  toResult: (response, _event, options) => latticeV2.toResult(response, undefined as never, options),
};
