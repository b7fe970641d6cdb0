// API Gateway Lambda authorizer requests carry a method, path and headers like the HTTP events
// do, but API Gateway wants an authorization answer back (an IAM policy, or `{isAuthorized}`),
// not an HTTP response; they go to the handler. "Input to an API Gateway Lambda authorizer"
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html)
// and "Working with AWS Lambda authorizers for HTTP APIs"
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html).

import { isObject } from "./shared.js";

/** What kind of authorizer request `event` is, for messages; undefined for any other event. */
export function authorizerKind(event: unknown): string | undefined {
  if (!isObject(event) || (event.type !== "TOKEN" && event.type !== "REQUEST")) return undefined;
  // REST APIs (TOKEN and REQUEST) and HTTP APIs with payload 1.0 name the method ARN.
  if (typeof event.methodArn === "string") return `an API Gateway Lambda authorizer request (${event.type}, methodArn)`;
  if (typeof event.routeArn === "string") return "an API Gateway HTTP API Lambda authorizer request (payload 2.0, routeArn)";
  return undefined;
}
