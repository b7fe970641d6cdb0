// Lambda mode: the Runtime API loop. Implemented by the Lambda-mode issue (#3).

import type { Service } from "../contract.js";
import type { RuntimeOptions } from "../options.js";

export function runLambda(load: () => Promise<Service>, _options: RuntimeOptions): void {
  void load;
  console.error("binship: Lambda mode is not available in this build");
  process.exit(1);
}
