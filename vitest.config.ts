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
  },
});
