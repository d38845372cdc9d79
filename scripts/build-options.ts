import type { BunPlugin } from "bun";

/**
 * ink optionally imports react-devtools-core, which is not installed; left unresolved the binary
 * fails at start, so it is resolved to an empty stub.
 */
export const stubDevtools: BunPlugin = {
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

/**
 * The OTLP gRPC exporter (what `OTEL_EXPORTER_OTLP_PROTOCOL=grpc` gives, through sdk-node) loads
 * `@grpc/grpc-js` with a runtime `require` beside its static `import` of it. Inside the executable
 * that `require` finds no package ("Cannot find module '@grpc/grpc-js'"), so every export failed,
 * said only to the SDK's silent diagnostic logger. It is made the bundled module the static
 * `import` already brings in (no more code read at start).
 */
export const bundledGrpc: BunPlugin = {
  name: "otlp-grpc-bundled-grpc-js",
  setup(build) {
    build.onLoad({ filter: /otlp-grpc-exporter-base[\\/]dist[\\/][^\\/]+\.mjs$/ }, async ({ path }) => ({
      contents: withBundledGrpc(await Bun.file(path).text(), path),
      loader: "js",
    }));
  },
};

const REQUIRED = '__require("@grpc/grpc-js")';
const BUNDLED = "__mindgwGrpcJs";
/** A runtime require of @grpc/grpc-js however spelled: quotes, spaces, a subpath, another require. */
const ANY_REQUIRE = /\w*require\s*\(\s*["'`]@grpc\/grpc-js[^)]*\)/;

/**
 * A file of the gRPC exporter with its runtime requires of `@grpc/grpc-js` made the bundled module.
 * One spelled otherwise (a later exporter's) fails the build, naming it: left as it is, the
 * executable's gRPC export would fail again, said to no one.
 */
export function withBundledGrpc(code: string, path: string): string {
  const replaced = code.includes(REQUIRED)
    ? `import * as ${BUNDLED} from "@grpc/grpc-js";\n${code.replaceAll(REQUIRED, BUNDLED)}`
    : code;
  const left = ANY_REQUIRE.exec(replaced);
  if (left)
    throw new Error(
      `${path} holds ${left[0]}, which bundledGrpc (scripts/build-options.ts) does not replace: the executable could not resolve it`,
    );
  return replaced;
}

/** How the executable's code is bundled: scripts/build.ts, and test/build/start-chunks.test.ts. */
export const BUNDLE = {
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
  minify: true,
  // What is loaded with `import()` (the tail TUI, the tokenizer, the OpenTelemetry SDK, the price
  // catalogue, YAML, …) goes into chunks of its own inside the executable, read only when imported:
  // the start-up reads and parses a third of the code it otherwise would (idle RSS −6 MB,
  // bench/idle-rss.ts). What is loaded with `require()`, even on first use, is bundled into the
  // chunks read at start: evaluated later, but read all the same.
  splitting: true,
} as const;
