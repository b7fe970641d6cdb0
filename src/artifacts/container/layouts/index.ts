// The container layouts, by --layout value. A new layout is one file beside this one, one line
// here, and its name in config.ts's `containerLayouts`.

import type { ContainerLayout as ContainerLayoutName } from "../../../config.js";
import { bundleLayout } from "./bundle.js";
import { executableLayout } from "./executable.js";
import { nodeLayout } from "./node.js";
import type { ContainerLayout } from "./types.js";

export type { ContainerLayout, ContextFile } from "./types.js";

export const containerLayouts: Record<ContainerLayoutName, ContainerLayout> = {
  executable: executableLayout,
  bundle: bundleLayout,
  node: nodeLayout,
};
