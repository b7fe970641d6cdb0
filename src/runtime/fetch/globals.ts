// esbuild injects this module into every bundle: each reference to the global Request,
// Response, Headers or fetch (bare, or through globalThis/global) becomes one to the light
// classes (and a fetch that accepts a light Request),
// so the app and its libraries make light objects and Node's lazy globals stay unloaded.
// Code outside the bundle (externals) still sees Node's; both kinds pass instanceof.

import { LightHeaders } from "./headers.js";
import { LightRequest } from "./request.js";
import { LightResponse } from "./response.js";

// Shown as Request/Response/Headers in logs and util.inspect, like the standard classes.
for (const [cls, name] of [[LightRequest, "Request"], [LightResponse, "Response"], [LightHeaders, "Headers"]] as const) {
  Object.defineProperty(cls, "name", { value: name });
}

/** fetch() takes a light Request too: undici's own fetch only knows undici's Request. */
function fetch(input: unknown, init?: RequestInit): Promise<Response> {
  const real = (globalThis as unknown as Record<string, typeof globalThis.fetch>)["fetch"]!;
  return real(LightRequest.isLight(input) ? input.toUndici() : (input as string), init);
}

export {
  fetch,
  fetch as "globalThis.fetch",
  fetch as "global.fetch",
  LightRequest as Request,
  LightResponse as Response,
  LightHeaders as Headers,
  LightRequest as "globalThis.Request",
  LightResponse as "globalThis.Response",
  LightHeaders as "globalThis.Headers",
  LightRequest as "global.Request",
  LightResponse as "global.Response",
  LightHeaders as "global.Headers",
};
