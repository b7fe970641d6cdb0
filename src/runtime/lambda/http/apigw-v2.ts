// API Gateway HTTP API payload format 2.0, also the format of Lambda function URLs:
// "Create AWS Lambda proxy integrations for HTTP APIs in API Gateway"
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html)
// and "Invoking Lambda function URLs" (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html).

import { decodeBody, encodeBody, encodePath, headerList, isObject, joinedHeaders, requestHeaders, stripBasePath } from "./shared.js";
import type { EventAdapter, HttpResponse } from "./types.js";

interface ApiGatewayV2Event {
  version: "2.0";
  rawPath: string;
  rawQueryString?: string;
  cookies?: string[];
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: { http: { method: string; sourceIp?: string }; domainName?: string };
}

/** The prelude of a streamed function URL response carries the same fields. */
export function v2Head(response: HttpResponse): { statusCode: number; headers: Record<string, string>; cookies: string[] } {
  const cookies = response.headers.filter(([n]) => n === "set-cookie").map(([, v]) => v);
  return { statusCode: response.statusCode, headers: joinedHeaders(response), cookies };
}

export const apigwV2: EventAdapter<ApiGatewayV2Event> = {
  name: "apigw-v2",
  matches: (e): e is ApiGatewayV2Event => isObject(e) && e.version === "2.0" && isObject(e.requestContext) && isObject(e.requestContext.http),
  toRequest(event, options) {
    const headers = headerList(event.headers, undefined).filter(([n]) => n.toLowerCase() !== "cookie");
    // Cookies come apart in `cookies`; a Cookie header joins them with "; ".
    if (event.cookies?.length) headers.push(["cookie", event.cookies.join("; ")]);
    return {
      method: event.requestContext.http.method,
      // rawPath arrives decoded and is encoded again; rawQueryString keeps the client's
      // encoding and repeated keys. A named stage is part of rawPath; basePath strips it.
      url: encodePath(stripBasePath(event.rawPath, options)) + (event.rawQueryString ? `?${event.rawQueryString}` : ""),
      ...requestHeaders(headers, event.requestContext.domainName),
      body: decodeBody(event.body, event.isBase64Encoded),
      sourceIp: event.requestContext.http.sourceIp,
    };
  },
  toResult(response) {
    return { ...v2Head(response), ...encodeBody(response) };
  },
};
