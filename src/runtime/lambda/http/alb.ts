// Application Load Balancer targets: "Lambda functions as targets"
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html).
// With multi-value headers on, the event carries multiValueHeaders and multiValueQueryStringParameters
// and the response must answer in multiValueHeaders; without, single values both ways.

import { albResponseBytes } from "../limits.js";
import { decodeBody, encodeBody, encodePath, headerList, isObject, multiValueHeaders, queryString, requestHeaders, singleValueHeaders, statusDescription } from "./shared.js";
import type { EventAdapter } from "./types.js";

interface AlbEvent {
  httpMethod: string;
  path: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: { elb: { targetGroupArn: string } };
}

export const alb: EventAdapter<AlbEvent> = {
  name: "alb",
  matches: (e): e is AlbEvent => isObject(e) && typeof e.httpMethod === "string" && isObject(e.requestContext) && isObject(e.requestContext.elb),
  toRequest(event) {
    const headers = headerList(event.headers, event.multiValueHeaders, true);
    return {
      method: event.httpMethod,
      // ALB passes query parameters as the client encoded them: no re-encoding.
      url: encodePath(event.path) + queryString(event.queryStringParameters, event.multiValueQueryStringParameters, false),
      ...requestHeaders(headers),
      body: decodeBody(event.body, event.isBase64Encoded),
      sourceIp: headers.find(([n]) => n.toLowerCase() === "x-forwarded-for")?.[1].split(",")[0]?.trim(),
    };
  },
  // ALB takes at most 1 MB of response JSON from Lambda, not Lambda's 6 MB.
  maxResultBytes: albResponseBytes,
  toResult(response, event, options) {
    const head = { statusCode: response.statusCode, statusDescription: statusDescription(response.statusCode) };
    if (event.multiValueHeaders) return { ...head, multiValueHeaders: multiValueHeaders(response), ...encodeBody(response) };
    const headers = singleValueHeaders(response, options, "enable multi-value headers on the ALB target group to send them properly");
    return { ...head, headers, ...encodeBody(response) };
  },
};
