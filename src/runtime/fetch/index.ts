// The Fetch classes a service sees: light Request/Response/Headers that read straight from
// Node's request (or the Lambda event) and write in one piece, and turn to Node's bundled
// undici only for what only undici does. The bundle sees them in place of the globals
// (./globals.ts), so `new Response()` in the app makes a light one.

export { Body } from "./body.js";
export { LightHeaders } from "./headers.js";
export { LightRequest, type RequestParts } from "./request.js";
export { LightResponse, type WholeResponse } from "./response.js";
export { absoluteUrl } from "./url.js";
