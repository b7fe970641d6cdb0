// esbuild injects this module into every bundle: each reference to the global Request,
// Response or Headers (bare, or through globalThis/global) becomes one to the light classes,
// so the app and its libraries make light objects and Node's lazy globals stay unloaded.
// Code outside the bundle (externals) still sees Node's; both kinds pass instanceof.

import { LightHeaders } from "./headers.js";
import { LightRequest } from "./request.js";
import { LightResponse } from "./response.js";

// Shown as Request/Response/Headers in logs and util.inspect, like the standard classes.
for (const [cls, name] of [[LightRequest, "Request"], [LightResponse, "Response"], [LightHeaders, "Headers"]] as const) {
  Object.defineProperty(cls, "name", { value: name });
}

export {
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
