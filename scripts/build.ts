/**
 * Builds the single `dist/mindgw` executable. ink optionally imports react-devtools-core,
 * which is not installed; left unresolved the binary fails at start, so it is resolved to
 * an empty stub here. The web UI (`/admin`) is bundled first and compiled in as text.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import type { BunPlugin } from "bun";
import { buildUi } from "../src/http/admin-ui/build-ui.ts";

/** The commit the executable is built from (core/build-commit.ts): read before the build writes anything. */
function buildCommit(): string {
  const git = (...args: string[]) => Bun.spawnSync(["git", ...args], { stderr: "ignore" });
  const head = git("rev-parse", "--short", "HEAD");
  if (head.exitCode !== 0) return "dev";
  const dirty = git("status", "--porcelain").stdout.toString().trim() !== "";
  return `${head.stdout.toString().trim()}${dirty ? "-dirty" : ""}`;
}
const commit = buildCommit();

const uiAssets = await buildUi();

const embedUi: BunPlugin = {
  name: "embed-admin-ui",
  setup(build) {
    build.onLoad({ filter: /admin-ui[\\/]embedded-assets\.ts$/ }, () => ({
      contents: `export const EMBEDDED_ASSETS = ${JSON.stringify(uiAssets)};`,
      loader: "ts",
    }));
  },
};

const stubDevtools: BunPlugin = {
  name: "stub-react-devtools-core",
  setup(build) {
    build.onResolve({ filter: /^react-devtools-core$/ }, () => ({
      path: "react-devtools-core",
      namespace: "stub",
    }));
    build.onLoad({ filter: /.*/, namespace: "stub" }, () => ({
      contents: "export default { initialize() {}, connectToDevTools() {} };",
      loader: "js",
    }));
  },
};

// Chunks are named by their content's hash, so each build's source maps have new names: the
// previous build's are removed, or dist/ would collect them build after build.
if (existsSync("dist"))
  for (const name of readdirSync("dist")) if (name.endsWith(".js.map")) rmSync(`dist/${name}`);

const result = await Bun.build({
  // The audit threads (SQLite's, PostgreSQL's), SQLite's usage thread, the trace export thread, the shadow thread and the
  // lean client's thread are Worker entries of their own; their owners (threaded-audit-store.ts,
  // postgres-audit-store.ts, thread-span-processor.ts, shadow-thread-client.ts,
  // lean-thread-client.ts) find them in the
  // executable at its path under src/ (the common root of the entrypoints).
  entrypoints: [
    "./src/main.ts",
    "./src/storage/sqlite/audit-thread.ts",
    "./src/storage/sqlite/usage-thread.ts",
    "./src/storage/postgres/postgres-audit-thread.ts",
    "./src/telemetry/tracing/export-thread.ts",
    "./src/shadow/shadow-thread.ts",
    "./src/providers/http/thread/lean-thread.ts",
  ],
  compile: { outfile: "./dist/mindgw" },
  minify: true,
  // What is loaded with `import()` (the tail TUI, the tokenizer, the OpenTelemetry SDK, …) goes
  // into chunks of its own inside the executable, read only when imported: the start-up reads
  // and parses a third of the code it otherwise would (idle RSS −6 MB, bench/idle-rss.ts).
  splitting: true,
  sourcemap: "linked",
  plugins: [stubDevtools, embedUi],
  define: { "process.env.NODE_ENV": '"production"', MINDGW_BUILD_COMMIT: JSON.stringify(commit) },
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
const uiBytes = uiAssets.reduce((sum, asset) => sum + Buffer.byteLength(asset.body), 0);
console.log(
  `built dist/mindgw at ${commit} (admin UI: ${uiAssets.map((a) => a.name).join(", ")}; ${uiBytes} bytes)`,
);
