import { loadYaml } from "../config/yaml-text.ts";
import { loadCatalogue } from "../pricing/catalogue-on-demand.ts";
import { loadTraceState } from "../telemetry/tracing/trace-context.ts";

// Preloaded for every `bun test` process (bunfig.toml): the libraries the gateway loads on first
// need with `import()` (core/on-demand.ts), and awaits before it serves a config that needs them,
// are loaded here once, so that a unit test may build route tables and price books, and parse
// config text, synchronously as a serving gateway does. What the preload loads here the binary
// driven by the e2e tests loads itself, as in use; the path that loads them is tested without the
// preload, in the *.fresh.ts files (fresh-process.test.ts).
await Promise.all([loadCatalogue(), loadYaml(), loadTraceState()]);
