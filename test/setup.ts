// Runs in every test file: the temporary directories a file made go when it ends.
import { afterAll } from "vitest";
import { removeTempDirs } from "./helpers/cli.js";

afterAll(() => removeTempDirs());
