// API Gateway REST API, Lambda proxy integration, payload format 1.0: "Input format of a Lambda
// function for proxy integration" and "Output format of a Lambda function for proxy integration"
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html).

import { decodeBody, encodeBody, encodePath, headerList, isObject, multiValueHeaders, queryString, requestHeaders, stripBasePath } from "./shared.js";
import type { EventAdapter } from "./types.js";

interface ApiGatewayV1Event {
  httpMethod: string;
  path: string;
  headers?: Record<string, string> | null;
  multiValueHeaders?: Record<string, string[]> | null;
  queryStringParameters?: Record<string, string> | null;
  multiValueQueryStringParameters?: Record<string, string[]> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext: { identity?: { sourceIp?: string }; domainName?: string; elb?: unknown };
}

export const apigwV1: EventAdapter<ApiGatewayV1Event> = {
  name: "apigw-v1",
  matches: (e): e is ApiGatewayV1Event =>
    isObject(e) && typeof e.httpMethod === "string" && typeof e.path === "string" && isObject(e.requestContext) && !("elb" in e.requestContext),
  toRequest(event, options) {
    // With a custom domain's base path mapping `path` carries the mapping's prefix; basePath strips it.
    const path = stripBasePath(event.path, options);
    return {
      method: event.httpMethod,
      // Query values arrive decoded; multiValue* holds every value of a repeated key.
      url: encodePath(path) + queryString(event.queryStringParameters, event.multiValueQueryStringParameters, true),
      ...requestHeaders(headerList(event.headers, event.multiValueHeaders, true), event.requestContext.domainName),
      body: decodeBody(event.body, event.isBase64Encoded),
      sourceIp: event.requestContext.identity?.sourceIp,
    };
  },
  toResult(response) {
    // multiValueHeaders alone: API Gateway merges it with `headers`, and it can repeat Set-Cookie.
    return { statusCode: response.statusCode, multiValueHeaders: multiValueHeaders(response), ...encodeBody(response) };
  },
};
