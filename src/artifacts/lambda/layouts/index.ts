// The Lambda layouts, by --layout value. A new layout is one file beside this one and one line here.

import { executableLayout } from "./executable.js";
import type { LambdaLayout } from "./types.js";

export type { LambdaLayout, LambdaLayoutInput } from "./types.js";

export const lambdaLayouts = {
  executable: executableLayout,
} as const satisfies Record<string, LambdaLayout>;

export type LambdaLayoutName = keyof typeof lambdaLayouts;
