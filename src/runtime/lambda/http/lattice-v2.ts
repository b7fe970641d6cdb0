// VPC Lattice, event structure version 2.0: "Receive events from the VPC Lattice service" and
// "Respond to the VPC Lattice service" (https://docs.aws.amazon.com/vpc-lattice/latest/ug/lambda-functions.html).
// Headers and query parameters arrive as arrays of values, or as plain strings.

import { asArrays, decodeBody, encodeBody, encodePath, headerList, isObject, queryString, requestHeaders, singleValueHeaders, statusDescription } from "./shared.js";
import type { EventAdapter } from "./types.js";

interface LatticeV2Event {
  version: "2.0";
  method: string;
  path: string;
  headers?: Record<string, string | string[]>;
  queryStringParameters?: Record<string, string | string[]>;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext: { serviceArn?: string; targetGroupArn?: string };
}

export const latticeV2: EventAdapter<LatticeV2Event> = {
  name: "lattice-v2",
  matches: (e): e is LatticeV2Event =>
    isObject(e) && e.version === "2.0" && typeof e.method === "string" && typeof e.path === "string" && isObject(e.requestContext) && "targetGroupArn" in e.requestContext,
  toRequest(event) {
    const headers = headerList(undefined, asArrays(event.headers));
    return {
      method: event.method,
      url: encodePath(event.path) + queryString(undefined, asArrays(event.queryStringParameters), true),
      ...requestHeaders(headers),
      body: decodeBody(event.body, event.isBase64Encoded),
      sourceIp: headers.find(([n]) => n.toLowerCase() === "x-forwarded-for")?.[1].split(",")[0]?.trim(),
    };
  },
  toResult(response, _event, options) {
    return {
      statusCode: response.statusCode,
      statusDescription: statusDescription(response.statusCode),
      headers: singleValueHeaders(response, options, "VPC Lattice responses take one value per header"),
      ...encodeBody(response),
    };
  },
};
