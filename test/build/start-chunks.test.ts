import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { BUNDLE, bundledGrpc, stubDevtools, withBundledGrpc } from "../../scripts/build-options.ts";

// Issue 11's idle RSS: what `mindgw serve` on the embedded defaults never uses is loaded with
// `import()`, so that the executable keeps it in chunks read only when imported. A `require()` on
// first use bundles it into the chunks read at start instead: evaluated later, but read all the
// same (docs/BENCHMARKS.md, idle RSS, session 45). The executable's code is bundled here as
// scripts/build.ts bundles it, and the chunks main.js imports statically, the code read at start,
// are read for the packages in them.

const ROOT = join(import.meta.dir, "../..");
const out = mkdtempSync(join(tmpdir(), "mindgw-start-chunks-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The chunks a static `import`/`export … from` of this chunk names (never an `import()`), as written. */
const staticImports = (code: string) =>
  [...code.matchAll(/(?:import|export)\s*(?:[^"'()]*?from\s*)?["'](\.\.?\/[^"']+\.js)["']/g)].map(
    (match) => match[1] as string,
  );

/** The executable's code, bundled once for every test here. */
const bundled = (async () => {
  const result = await Bun.build({
    ...BUNDLE,
    entrypoints: BUNDLE.entrypoints.map((entry) => join(ROOT, entry)),
    root: join(ROOT, "src"),
    outdir: out,
    target: "bun",
    sourcemap: "linked",
    plugins: [stubDevtools, bundledGrpc],
    define: { "process.env.NODE_ENV": '"production"', MINDGW_BUILD_COMMIT: '"test"' },
  });
  if (!result.success) throw new Error(result.logs.join("\n"));
})();

/** What the chunks read as `entries` start (those chunks and the ones they import statically) hold. */
interface ReadAtStart {
  /** The files of packages (node_modules) whose code they hold, by their source maps. */
  readonly packageFiles: string[];
  /** Our own files whose code they hold, as under src/. */
  readonly ownFiles: string[];
  /** The runtime's own modules they import (`node:http`, `bun:sqlite`…), each as written there. */
  readonly builtins: Set<string>;
}

/** The sources a chunk holds, by its source map. */
const sourcesOf = (chunk: string) =>
  (JSON.parse(readFileSync(join(out, `${chunk}.map`), "utf8")) as { sources: string[] }).sources;

async function readAtStart(entries: readonly string[]): Promise<ReadAtStart> {
  await bundled;
  const read = new Set<string>();
  const packageFiles: string[] = [];
  const ownFiles: string[] = [];
  const builtins = new Set<string>();
  const next = [...entries];
  for (let chunk = next.pop(); chunk !== undefined; chunk = next.pop()) {
    if (read.has(chunk)) continue;
    read.add(chunk);
    const code = readFileSync(join(out, chunk), "utf8");
    next.push(...staticImports(code).map((imported) => join(dirname(chunk), imported)));
    for (const [, builtin] of code.matchAll(
      /(?:import|export)\s*(?:[^"'()]*?from\s*)?["']((?:node:|bun:)?[a-z_/]+)["']/g,
    ))
      if (builtin) builtins.add(builtin.replace(/^node:/, ""));
    for (const source of sourcesOf(chunk)) {
      const file = source.match(/node_modules\/(.+)$/)?.[1];
      const own = source.match(/(?:^|\/)src\/(.+)$/)?.[1];
      if (file) packageFiles.push(file);
      else if (own) ownFiles.push(own);
    }
  }
  return { packageFiles, ownFiles, builtins };
}

/**
 * What `mindgw serve` reads as it starts: main.js, and the chunk of the one subcommand it runs
 * (cli/run-cli.ts imports it by its name in argv), each with what it imports statically.
 */
async function serveReadsAtStart(): Promise<ReadAtStart> {
  await bundled;
  // Chunks have source maps; the assets copied beside them (Swagger UI's) do not.
  const chunks = [...new Bun.Glob("**/*.js.map").scanSync(out)].map((map) => map.slice(0, -".map".length));
  const serve = chunks.find((chunk) => sourcesOf(chunk).some((source) => source.endsWith("cli/serve.ts")));
  if (serve === undefined) throw new Error("no chunk holds cli/serve.ts");
  return readAtStart(["main.js", serve]);
}

test("on the embedded defaults the executable reads none of the price catalogue, YAML, Ajv or OpenTelemetry's whole core at start; Elysia and zod it does", async () => {
  const atStart = (await serveReadsAtStart()).packageFiles;
  const of = (pattern: RegExp) => atStart.filter((file) => pattern.test(file));
  expect(of(/^elysia\//).length).toBeGreaterThan(0);
  expect(of(/^zod\//).length).toBeGreaterThan(0);
  expect(of(/^@pydantic\/genai-prices\//)).toEqual([]);
  expect(of(/^yaml\//)).toEqual([]);
  // The hot path's samplers (built-in-samplers.ts) read a few of core's ES modules, tree-shaken; a
  // `require()` reads its CommonJS build whole, every semantic convention with it.
  expect(of(/^@opentelemetry\/(core|semantic-conventions)\/.*\.cjs$/)).toEqual([]);
  // Ajv judges a shadow pair's JSON schema (shadow/schema-check.ts): loaded before the first one.
  for (const lazy of [
    "@opentelemetry/sdk-node",
    "gpt-tokenizer",
    "ink",
    "jose",
    "ajv",
    "ajv-formats",
    "fast-uri",
  ])
    expect(of(new RegExp(`^${lazy}/`))).toEqual([]);
});

test("the shadow thread reads no price catalogue as it starts: it loads it when its rules name a provider the catalogue prices", async () => {
  const atStart = (await readAtStart(["shadow/shadow-thread.js"])).packageFiles;
  expect(atStart.length).toBeGreaterThan(0);
  expect(atStart.filter((file) => file.startsWith("@pydantic/genai-prices/"))).toEqual([]);
});

test("on the embedded defaults the executable reads none of Bun's node:http, node:https or node:stream at start: the upstream client over them is imported on its first call", async () => {
  const { builtins } = await serveReadsAtStart();
  expect(builtins.has("bun:sqlite")).toBe(true);
  for (const unused of ["http", "https", "stream"]) expect(builtins.has(unused)).toBe(false);
});

test("`mindgw serve` reads none of the other subcommands' code at start: each is imported when it is run", async () => {
  const { ownFiles } = await serveReadsAtStart();
  expect(ownFiles).toContain("cli/serve.ts");
  const others = [
    "worker",
    "keys/keys-command",
    "audit-command",
    "tail",
    "tenants-command",
    "shadow-command",
  ];
  for (const other of [...others, "config-command", "models-command", "dollars"])
    expect(ownFiles).not.toContain(`cli/${other}.ts`);
});

test("the executable's code holds no runtime require of @grpc/grpc-js: bundledGrpc made each the bundled module", async () => {
  await bundled;
  const chunks = [...new Bun.Glob("**/*.js").scanSync(out)];
  const requiring = chunks.filter((chunk) =>
    /require\s*\(\s*["'`]@grpc\/grpc-js/.test(readFileSync(join(out, chunk), "utf8")),
  );
  expect(requiring).toEqual([]);
});

test("a gRPC exporter file that requires @grpc/grpc-js in a form bundledGrpc does not replace fails the build, naming it", async () => {
  const known = withBundledGrpc('const { status } = __require("@grpc/grpc-js");', "known.mjs");
  expect(known).not.toContain("require");
  for (const spelled of ["__require('@grpc/grpc-js')", 'require("@grpc/grpc-js/build/src/index.js")'])
    expect(() => withBundledGrpc(`const grpc = ${spelled};`, "later.mjs")).toThrow(
      `later.mjs holds ${spelled}, which bundledGrpc`,
    );
  // Through a build, as scripts/build.ts runs it: a failure, not a bundle with the require left in.
  const dist = join(out, "later", "otlp-grpc-exporter-base", "dist");
  mkdirSync(dist, { recursive: true });
  const entry = join(dist, "index.mjs");
  writeFileSync(entry, "export const grpc = () => __require('@grpc/grpc-js');\n");
  const built = Bun.build({
    entrypoints: [entry],
    outdir: join(out, "later-out"),
    target: "bun",
    plugins: [bundledGrpc],
  });
  const failed = await built.then(
    (result) => (result.success ? "" : result.logs.join("\n")),
    (error: unknown) =>
      error instanceof AggregateError ? error.errors.map(String).join("\n") : String(error),
  );
  expect(failed).toContain("which bundledGrpc (scripts/build-options.ts) does not replace");
});
