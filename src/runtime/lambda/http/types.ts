// One shape for every HTTP event source: an adapter turns its event into an HttpRequest and
// an HttpResponse back into the result that source expects.

export type HeaderList = [name: string, value: string][]; // in order, repeats kept apart

export interface HttpRequest {
  method: string;
  url: string; // path and query as the client sent them, starting with "/"
  headers: HeaderList; // cookies joined into one Cookie header; Host as sent; no hop-by-hop headers
  urlHost?: string; // the host of the URL a Fetch app sees, when the Host header is not usable in one (a placeholder)
  body?: Buffer; // decoded from base64 when the event said so
  sourceIp?: string;
}

export interface HttpResponse {
  statusCode: number;
  headers: HeaderList; // lower-case names; one entry per Set-Cookie
  body: Buffer;
}

export interface AdapterOptions {
  basePath?: string; // prefix stripped from the path (REST API base path mappings, stages)
  warn: (message: string) => void; // one-line warnings to the function's log
}

export interface EventAdapter<E = any> {
  name: string; // "apigw-v1", "apigw-v2", "alb", "lattice-v1", "lattice-v2"
  matches(event: unknown): event is E;
  toRequest(event: E, options: AdapterOptions): HttpRequest;
  toResult(response: HttpResponse, event: E, options: AdapterOptions): unknown;
  maxResultBytes?: number; // what the source accepts from Lambda, when less than Lambda's own limit
}
