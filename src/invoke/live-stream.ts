// A streamed response is shown as it arrives, as a function URL client would see it: with
// --http, the status line and headers of the prelude first, then each body chunk unbuffered.

import { httpIntegrationContentType, splitPrelude } from "./emulator/stream.js";
import { formatHttp, functionUrlResponse } from "./function-url.js";

export interface LiveStream {
  onChunk: (chunk: Buffer, contentType: string | undefined) => void;
  shown: () => boolean; // true once anything was written: the final print must not repeat it
}

export function liveStream(write: (data: Buffer) => void, http: boolean): LiveStream {
  let pending: Buffer | undefined; // --http, before the prelude's end has arrived
  let started = false;
  const headOf = (prelude: unknown, contentType: string | undefined) =>
    formatHttp(functionUrlResponse({ streamed: true, prelude, contentType, payload: Buffer.alloc(0) } as Parameters<typeof functionUrlResponse>[0]));
  return {
    shown: () => started,
    onChunk(chunk, contentType) {
      if (started || !http) {
        started = true;
        return write(chunk);
      }
      if (contentType !== httpIntegrationContentType) {
        started = true;
        return write(Buffer.concat([headOf(undefined, contentType), chunk]));
      }
      pending = pending ? Buffer.concat([pending, chunk]) : chunk;
      const split = splitPrelude(pending);
      if (split.prelude === undefined) return; // the prelude is still arriving
      started = true;
      pending = undefined;
      write(Buffer.concat([headOf(split.prelude, contentType), split.body]));
    },
  };
}
