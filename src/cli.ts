// commander wiring only: flags -> command calls, errors -> exit codes and messages.

import { Command, CommanderError } from "commander";
import { buildCommand } from "./commands/build.js";
import { bundleCommand } from "./commands/bundle.js";
import { createCommandContext, printOutput, type CommandContext, type CommandOutput, type GlobalFlags } from "./commands/context.js";
import { initCommand } from "./commands/init.js";
import { inspectCommand } from "./commands/inspect.js";
import { invokeCommand } from "./commands/invoke.js";
import { packContainerCommand } from "./commands/pack-container.js";
import { packLambdaCommand } from "./commands/pack-lambda.js";
import { BinshipError, isBinshipError, errorJson } from "./errors.js";
import { binshipVersion } from "./paths.js";
import { diagnosticLines } from "./diagnostic.js";
import { NetworkError, networkFailure } from "./util/http.js";
import { tmpdir } from "node:os";
import { cacheDirFrom } from "./executable/index.js";
import { checkUtf8Paths } from "./util/utf8-paths.js";
import { diskFullError, diskFullFailure, diskFullSomewhere, noteOwnedDirs } from "./util/disk-full.js";
import { fileSystemFailure, isFileSystemError } from "./util/io-error.js";
import { redact } from "./util/redact.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];
const collectArchs = (value: string, previous: string[] = []) => [...previous, ...value.split(",").map((a) => a.trim()).filter(Boolean)];
// Numbers stay strings when they are not numbers, so the config check can name the bad value.
const toNumber = (value: string) => (value.trim() !== "" && Number.isFinite(Number(value)) ? Number(value) : value);

function collectDefine(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new BinshipError("USAGE", `--define takes KEY=VALUE, got "${value}"`, { hint: 'Example: --define process.env.STAGE=\'"prod"\'' });
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** Prints an error on stderr (and, with --json, as one object on stdout); returns the exit code. */
function printError(err: unknown, cwd: string, verbose: boolean, json: boolean): number {
  // A full disk, raw or under a stage's own words, not yet put as one: which disk, what to free.
  const full = diskFullError(err);
  if (full && !(isBinshipError(err) && err.message.includes(`(${full.code})`))) {
    const path = (full as { dest?: string }).dest ?? full.path; // copyFile names its source first
    return printError(path ? diskFullFailure(path, err) : diskFullSomewhere(err, cwd), cwd, verbose, json);
  }
  // A file system refusal no stage put into words (EACCES, EROFS, ...) is the machine's answer, not a bug.
  if (!isBinshipError(err) && isFileSystemError(err)) return printError(fileSystemFailure(err), cwd, verbose, json);
  // A registry that hung or dropped the connection where no stage put it into words (a token service, a blob stream).
  if (err instanceof NetworkError) return printError(networkFailure(err, "REGISTRY_FAILED", "or try again once the registry answers"), cwd, verbose, json);
  if (!isBinshipError(err)) {
    process.stderr.write(redact(`binship: unexpected error (a bug; please report it with this stack):\n${(err as Error)?.stack ?? String(err)}\n`));
    if (json) process.stdout.write(redact(`${JSON.stringify({ error: { code: "INTERNAL", message: String((err as Error)?.message ?? err), hint: "This is a bug in binship; please report it with the stack printed on stderr.", diagnostics: [] } }, null, 2)}\n`));
    return 1;
  }
  const out: string[] = [`binship: error: ${err.message}`];
  for (const d of err.diagnostics) out.push(...diagnosticLines(d, cwd).map((line) => `  ${line}`));
  if (err.hint) out.push(`  hint: ${err.hint}`);
  if (verbose && err.cause) out.push(`  cause: ${(err.cause as Error)?.stack ?? String(err.cause)}`);
  process.stderr.write(redact(`${out.join("\n")}\n`));
  if (json) {
    process.stdout.write(redact(`${JSON.stringify(errorJson(err), null, 2)}\n`));
  }
  return err.exitCode;
}

/** commander's own messages ("error: unknown option '--x'") as binship errors, with the help to read. */
function usageError(message: string, argv: string[], program: Command): BinshipError {
  // commander appends its suggestion on a line of its own: "(Did you mean --minify?)".
  const [first = "", ...more] = message.trim().replace(/^error:\s*/, "").split("\n");
  const text = first.trim();
  const suggestion = more.join(" ").trim().replace(/^\((.*)\)$/, "$1");
  const words = argv.slice(2).filter((a) => !a.startsWith("-"));
  let cmd = program;
  for (const w of words) {
    const sub = cmd.commands.find((c) => c.name() === w);
    if (!sub) break;
    cmd = sub;
  }
  const path = [program, ...ancestorsOf(cmd)].map((c) => c.name()).join(" ");
  return new BinshipError("USAGE", text, { hint: `${suggestion ? `${suggestion} ` : ""}Run \`${path} --help\` for the usage.` });
}

const ancestorsOf = (cmd: Command): Command[] => (cmd.parent ? [...ancestorsOf(cmd.parent), cmd] : []);

/** A first word that is no command, caught before commander reads a --help after it as the program's. */
function unknownCommand(argv: string[], program: Command): BinshipError | undefined {
  const args = argv.slice(2);
  const valued = new Set(["-c", "--config"]);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (valued.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith("-")) continue;
    if (program.commands.some((c) => c.name() === a || c.aliases().includes(a)) || a === "help") return undefined;
    const names = program.commands.map((c) => c.name());
    return new BinshipError("USAGE", `unknown command '${a}'`, { hint: `Commands: ${names.join(", ")}. Run \`binship --help\` for the usage.` });
  }
  return undefined;
}

/** Flags of every command that bundles the service; each maps to the config key of its name. */
function withBundleFlags(cmd: Command): Command {
  return cmd
    .option("--node <version>", "Node version: 24, 24.21 or 24.21.0 (default 24; the bundle targets its major)")
    .option("--minify", "minify the bundle (default)")
    .option("--no-minify", "do not minify")
    .option("--sourcemap", "embed a source map; stack traces point at the TypeScript sources")
    .option("--define <key=value>", "replace a global expression at build time (repeatable)", collectDefine)
    .option("--external <module>", "leave a module out of the bundle (repeatable)", collect)
    .option("--asset <glob>", "ship runtime files matching this glob with the artifact, at their path from the project root (repeatable; config key \"assets\")", collect)
    .option("--esm-packages <list>", 'bundle these packages from their ES module build: names, "@scope/*" or "*", comma-separated; "" for none (default: the AWS SDK v3)', (v: string) => v.split(",").map((p) => p.trim()).filter(Boolean))
    .option("--lazy-builtins", "packages' requires of heavy Node built-ins load them on first use (on with --snapshot)")
    .option("--no-lazy-builtins", "load every built-in a package requires at start (default)")
    .option("--eager-builtins <module>", "keep this built-in eager with lazy built-ins on (repeatable)", collect)
    .option("--format <format>", "bundle format: cjs or esm (default: cjs, esm when the code uses top-level await)")
    .option("--contract <shape>", "service shape: auto (default), fetch, listener, handler or listen")
    .option("--invoke-mode <mode>", "Lambda function URLs: BUFFERED (default) or RESPONSE_STREAM")
    .option("--base-path <path>", "Lambda REST APIs: path prefix stripped from requests, e.g. /prod");
}

/** Flags of every command that builds an executable from the bundle. */
function withExecutableFlags(cmd: Command): Command {
  return withBundleFlags(cmd)
    .option("--node-binary <path>", "use this linux-<arch> Node binary instead of downloading one")
    .option("--generator-node <path>", "host Node of exactly the target's version, to generate the SEA blob")
    .option("--strip", "strip the Node binary's symbols and debug info (default)")
    .option("--no-strip", "keep the Node binary as published")
    .option("--code-cache", "ship a V8 code cache of the bundle: in the executable, or the node layout's compile cache (default)")
    .option("--no-code-cache", "leave the V8 code cache out: the bundle is compiled at every start");
}

/** --sbom and --report: what is inside the artifact, made from the finished file (commands/audit.ts). */
function withAuditFlags(cmd: Command): Command {
  return cmd
    .option("--sbom <file>", "write a CycloneDX 1.6 JSON SBOM of the artifact (npm packages, Node runtime, shipped libraries)")
    .option("--report <file>", "write a self-contained HTML size report (treemap of the executable, bundle and zip)");
}

export function createProgram(run: (fn: (ctx: CommandContext) => Promise<CommandOutput | void>) => Promise<void>): Command {
  const program = new Command("binship")
    .description("Ship a TypeScript service as one self-contained Linux executable: a Lambda zip or a container recipe.")
    .version(binshipVersion(), "-V, --version")
    .option("--json", "print the result as one JSON object on stdout (logs stay on stderr)")
    .option("-q, --quiet", "print nothing but errors (and --json output)")
    .option("-v, --verbose", "print debug logs")
    .option("-c, --config <file>", "config file (default: binship.config.json, or \"binship\" in package.json)")
    .addHelpText(
      "after",
      `
Examples:
  binship bundle src/index.ts -o dist/app.cjs          # one CommonJS file: PORT=8080 node dist/app.cjs
  binship bundle src/index.ts -o dist/app.cjs --depfile dist/app.d --sourcemap
  binship build src/index.ts --arch arm64 -o dist/app-arm64  # one executable: Node + the app
  binship inspect dist/app-arm64                       # arch, loader, glibc, SEA blob, Node version

Exit codes: 0 ok, 1 build failed, 2 usage or configuration error.
Docs: README.md`,
    );

  program
    .command("init")
    .description("write binship.config.json and binship.mk (Makefile rules with depfiles) for the project here; never overwrites a file")
    .argument("[entry]", "entry module (default: from package.json, else src/index.ts, src/main.ts, src/server.ts, ...)")
    .addHelpText("after", "\nExample:\n  binship init && echo 'include binship.mk' >> Makefile && make lambda")
    .action((entry: string | undefined) => run((ctx) => initCommand(ctx, entry)));

  withBundleFlags(
    program
      .command("bundle")
      .description("bundle the service and the binship runtime into one CommonJS file (esbuild)")
      .argument("[entry]", "entry module (default: \"entry\" from the config)")
      .option("-o, --outfile <file>", "output file (default dist/bundle.cjs)"),
  )
    .option("--metafile <file>", "write esbuild's metafile (JSON) here")
    .option("--depfile <file>", "write a make dependency file here")
    .addHelpText("after", "\nExample:\n  binship bundle src/index.ts -o dist/app.cjs --depfile dist/app.d")
    .action((entry: string | undefined, opts: Record<string, unknown>) => run((ctx) => bundleCommand(ctx, entry, opts)));

  withExecutableFlags(
    program
      .command("build")
      .description("build one self-contained Linux executable: official Node binary + the bundle as a SEA blob")
      .argument("[entry]", "entry module (default: \"entry\" from the config)")
      .option("-o, --outfile <file>", "output executable (default dist/app-linux-<arch>)"),
  )
    .option("--arch <arch>", "target CPU: arm64 or x64 (default: the build host's)")
    .option("--depfile <file>", "write a make dependency file (target: the executable)")
    .option("--metafile <file>", "write esbuild's metafile (JSON) here")
    .option("--snapshot", "run the service's module init at build time into a V8 startup snapshot (refused if it reads env, clock or random values)")
    .option("--sbom <file>", "write a CycloneDX 1.6 JSON SBOM of the executable")
    .option("--report <file>", "write a self-contained HTML size report (treemap)")
    .addHelpText("after", "\nExamples:\n  binship build src/index.ts --arch arm64 --node 24 -o dist/app-arm64\n  binship build src/index.ts --arch x64 -o dist/app-x64 && PORT=8080 dist/app-x64")
    .action((entry: string | undefined, opts: Record<string, unknown>) => run((ctx) => buildCommand(ctx, entry, opts)));

  withAuditFlags(
    program
      .command("inspect")
      .description("show what an executable, a Lambda zip or a container directory holds: arch, glibc, Node version and hash, bundled packages")
      .argument("<file>", "an executable (binship build), a Lambda zip (pack lambda) or a container directory (pack container)"),
  )
    .addHelpText("after", "\nExamples:\n  binship inspect dist/app-arm64 --json\n  binship inspect dist/lambda.zip --sbom dist/lambda.cdx.json --report dist/lambda-size.html")
    .action((file: string, opts: Record<string, unknown>) => run((ctx) => inspectCommand(ctx, file, opts)));

  const pack = program.command("pack").description("package the service for a target: a Lambda zip or a container recipe");

  withExecutableFlags(
    pack
      .command("lambda")
      .description("build the executable and zip it as `bootstrap` for an OS-only Lambda runtime")
      .argument("[entry]", "entry module (default: \"entry\" from the config)")
      .option("-o, --outfile <file>", "zip to write (default dist/lambda.zip)"),
  )
    .option("--arch <arch>", "arm64 (Graviton, default) or x64")
    .option("--runtime <runtime>", "provided.al2023 (default) or provided.al2 (deprecated; ships its own glibc)")
    .option("--layout <layout>", "executable (default: one zip, the executable as bootstrap) or layer (a shared Node runtime layer + a function zip of bootstrap and app.cjs)")
    .option("--executable <file>", "zip this executable (from binship build) instead of building from source")
    .option("--sysroot <dir>", "libraries bundled for provided.al2 (default: the host's, or /usr/aarch64-linux-gnu for arm64)")
    .option("--zip-level <0-9>", "deflate level (default 6; 9 is 2-4x slower for a ~0.3% smaller zip)", toNumber)
    .option("--fallback-libraries", "provided.al2023: ship libstdc++/libgcc_s in lib/ in case the runtime lacks them (default)")
    .option("--no-fallback-libraries", "provided.al2023: leave out the libstdc++/libgcc_s fallback in lib/ (the runtime must have them)")
    .option("--depfile <file>", "write a make dependency file naming every input of the zip")
    .option("--metafile <file>", "write esbuild's metafile (JSON) here")
    .option("--sbom <file>", "write a CycloneDX 1.6 JSON SBOM of the zip")
    .option("--report <file>", "write a self-contained HTML size report (treemap)")
    .addHelpText(
      "after",
      "\nExamples:\n  binship pack lambda src/index.ts                      # arm64, provided.al2023, dist/lambda.zip\n" +
        "  binship pack lambda src/index.ts --arch x64 --runtime provided.al2 -o dist/fn.zip\n" +
        "  binship pack lambda src/index.ts --layout layer         # dist/node-<version>-arm64-<sha>.zip + dist/lambda.zip\n" +
        "  binship invoke dist/lambda.zip --http \"GET /hello?name=x\"\n\n" +
        "SOURCE_DATE_EPOCH (seconds) sets the time stored in the zip; without it, 1980-01-01.",
    )
    .action((entry: string | undefined, opts: Record<string, unknown>) => run((ctx) => packLambdaCommand(ctx, entry, opts)));

  withExecutableFlags(
    pack
      .command("container")
      .description("write a distroless image recipe (Dockerfile, executables per arch) and Kubernetes manifests")
      .argument("[entry]", "entry module (default: \"entry\" from the config)")
      .option("-o, --outfile <dir>", "output directory, replaced as a whole (default dist/container)"),
  )
    .option("--arch <archs>", "target CPUs, comma-separated or repeated: arm64,x64 (default both)", collectArchs)
    .option("--layout <layout>", "node (default: Node and app.cjs as two layers on distroless cc), executable (one binary per arch) or bundle (app.cjs on distroless Node)")
    .option("--base <image>", "base image (default gcr.io/distroless/cc-debian13:nonroot; for bundle the distroless Node image)")
    .option("--image <ref>", "image reference the manifests run, e.g. registry.example.com/team/svc:1.4.0")
    .option("--name <name>", "service name, a DNS-1123 label (default: package.json name)")
    .option("--port <port>", "container port (default 8080)", toNumber)
    .option("--replicas <n>", "minimum replicas (default 2)", toNumber)
    .option("--k8s", "write Kubernetes manifests to k8s/ (default)")
    .option("--no-k8s", "do not write Kubernetes manifests")
    .option("--executable <file>", "use an executable made by binship build instead of building (repeatable, one per arch)", collect)
    .option("--depfile <file>", "write a make dependency file (target: the output directory) naming every input")
    .option("--sbom <file>", "also write the image's CycloneDX 1.6 JSON SBOM here (it is always in the context)")
    .option("--report <file>", "write a self-contained HTML size report (treemap)")
    .option("--push <ref>", "build the multi-arch image without a daemon and push it to REGISTRY/REPO[:TAG]; k8s/ then names it by digest")
    .option("--oci-layout <dir>", "also write the image as an OCI image layout directory")
    .option("--tarball <file>", "also write the image as a tarball (OCI layout + docker-archive manifest.json)")
    .option("--insecure-registry", "allow registries without TLS or with an untrusted certificate")
    .option("--mount-from <repo>", "with --push: mount blobs (the shared Node layer) from this repository on the same registry instead of uploading them (repeatable)", collect)
    .addHelpText(
      "after",
      "\nExamples:\n  binship pack container src/index.ts --image registry.example.com/team/svc:1.4.0\n  binship pack container src/index.ts --push registry.example.com/team/svc:1.4.0\n  docker buildx build --platform linux/amd64,linux/arm64 -t registry.example.com/team/svc:1.4.0 --push dist/container\n  kubectl apply -f dist/container/k8s/",
    )
    .action((entry: string | undefined, opts: Record<string, unknown>) => run((ctx) => packContainerCommand(ctx, entry, opts)));

  program
    .command("invoke")
    .description("run a bundle, executable or Lambda zip against a local Lambda Runtime API and print what it answered")
    .argument("<artifact>", "a bundle (.cjs/.js), an executable, or a Lambda zip")
    .option("--event <file>", "the event as a JSON file (- for stdin; default {})")
    .option("--http <request>", 'send a function URL event for "METHOD /path?query"; prints the HTTP response')
    .option("--header <name:value>", "with --http: a request header (repeatable)", collect)
    .option("--body <text>", "with --http: the request body")
    .option("--count <n>", "invoke N times on the same warm process (default 1)")
    .option("--concurrency <n>", "keep N invocations in flight at once, as Lambda Managed Instances does; the function gets AWS_LAMBDA_MAX_CONCURRENCY=N")
    .option("--timeout <seconds>", "the function's timeout per invocation (default 30)")
    .option("--layer <zip>", "the runtime layer a function zip from --layout layer runs on (unpacked where its bootstrap looks for /opt)")
    .option("--env <KEY=VALUE>", "a variable for the function (repeatable); the function sees only Lambda's variables, the region, AWS credentials and these", collect)
    .option("--env-file <file>", "the function's variables: SAM's --env-vars JSON (Parameters + the function's section) or a dotenv file")
    .option("--memory <mb>", "the function's memory, 128-10240 MB (default 128): AWS_LAMBDA_FUNCTION_MEMORY_SIZE and REPORT's Memory Size")
    .option("--function-name <name>", 'AWS_LAMBDA_FUNCTION_NAME, and the --env-file section to read (default "function")')
    .option("--region <region>", "AWS_REGION/AWS_DEFAULT_REGION (default: the shell's, else us-east-1)")
    .addHelpText(
      "after",
      '\nExit codes: 0 every invocation succeeded, 1 the function failed (error, crash, timeout), 2 usage.\nExamples:\n  binship invoke dist/app.cjs --http "GET /hello?name=x"\n  binship invoke dist/app-linux-arm64 --event events/sqs.json --count 10\n  binship invoke dist/app.cjs --count 64 --concurrency 8\n  binship invoke dist/lambda.zip --env-file env.json --function-name Orders --memory 512 --region eu-west-1',
    )
    .action((artifact: string, opts: Record<string, unknown>) => run((ctx) => invokeCommand(ctx, artifact, opts)));

  return program;
}

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  let globals: GlobalFlags = {};
  // `binship … | head` closes stdout early; that is the reader's choice, not a crash.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(exitCode);
    throw err;
  });
  let current: CommandContext | undefined;
  const run = async (fn: (ctx: CommandContext) => Promise<CommandOutput | void>) => {
    globals = program.opts<GlobalFlags>();
    checkUtf8Paths(); // before anything resolves a path against a directory Node cannot name
    const ctx = (current = createCommandContext(globals));
    // What a full disk's hint may name: the cache can go whole, $TMPDIR can move.
    noteOwnedDirs([
      { dir: cacheDirFrom(ctx.env, ctx.cwd), label: "binship's cache", removable: "binship's cache", elsewhere: "set BINSHIP_CACHE_DIR to a directory on another disk" },
      { dir: ctx.env.TMPDIR || tmpdir(), label: "$TMPDIR", names: /^binship-[a-z]+-\d+-/, elsewhere: "set TMPDIR to a directory on another disk" },
    ]);
    const output = await fn(ctx);
    if (output) printOutput(ctx, output);
  };
  const program = createProgram(run).exitOverride();
  // With --json a failure is one object on stdout too, even one commander finds before any command runs.
  const json = () => Boolean(globals.json) || argv.includes("--json");
  // commander's own error lines are replaced by binship's (printed once, below, from the error it throws).
  const output = { writeErr: (s: string) => process.stderr.write(s), outputError: () => {} };
  program.configureOutput(output);
  // Subcommands of groups (pack lambda, pack container) need it too: usage errors exit 2.
  const commandsOf = (c: Command): Command[] => c.commands.flatMap((sub) => [sub, ...commandsOf(sub)]);
  for (const cmd of commandsOf(program)) cmd.exitOverride().configureOutput(output);
  try {
    const unknown = unknownCommand(argv, program);
    if (unknown) throw unknown;
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with exit code 0; every other parse problem is usage (2).
      // A group without its command (`binship pack`) printed its help: usage, exit 2, no error line.
      if (err.code === "commander.help") exitCode = 2;
      else exitCode = err.exitCode === 0 ? 0 : printError(usageError(err.message, argv, program), process.cwd(), false, json());
    } else {
      exitCode = printError(err, process.cwd(), Boolean(globals.verbose), json() && !current?.jsonWritten);
    }
  }
  return exitCode;
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
