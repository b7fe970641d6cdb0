import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "test/fixtures/**"],
    testTimeout: 60_000,
    hookTimeout: 600_000, // beforeAll hooks build real executables and download Node
    pool: "forks",
    setupFiles: ["test/setup.ts"],
    reporters: ["default"],
    // GitHub's workflow parser imports its JSON schema without an import attribute, which Node
    // refuses; run through Vite's transform, the import works (test/integration/deploy-examples.test.ts).
    server: { deps: { inline: ["@actions/workflow-parser"] } },
  },
});
