// Where the node layout's compile cache (executable/compile-cache.ts) is in the image and the
// environment that turns it on: beside /app/app.cjs, as it was made (portable); Node reads the
// variables before any module loads, so nothing of the app's has to enable it.

import { compileCacheDirName } from "../../executable/index.js";

export const compileCacheImageDir = `/app/${compileCacheDirName}`;

export const compileCacheEnv: Record<string, string> = { NODE_COMPILE_CACHE: compileCacheImageDir, NODE_COMPILE_CACHE_PORTABLE: "1" };
