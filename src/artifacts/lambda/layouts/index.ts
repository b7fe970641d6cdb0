// The Lambda layouts, by --layout value. A new layout is one file beside this one and one line here.

import type { lambdaLayoutNames } from "../../../config.js";
import { executableLayout } from "./executable.js";
import { layerLayout } from "./layer.js";
import type { LambdaLayout } from "./types.js";

export type { LambdaLayout, LambdaLayoutInput, LambdaZipPlan } from "./types.js";

export const lambdaLayouts = {
  executable: executableLayout,
  layer: layerLayout,
} as const satisfies Record<(typeof lambdaLayoutNames)[number], LambdaLayout>;

export type LambdaLayoutName = keyof typeof lambdaLayouts;
