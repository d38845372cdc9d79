import { loadYaml } from "../config/yaml-text.ts";
import { loadCatalogue } from "../pricing/catalogue-calc.ts";
import { loadTraceState } from "../telemetry/tracing/trace-context.ts";

// Preloaded for every test (bunfig.toml): the libraries the gateway loads on first need with
// `import()`, and awaits before it serves a config that needs them, are loaded here once, so that
// a unit test may build route tables and price books, and parse config text, synchronously as a
// serving gateway does. The binary's e2e tests load them as the gateway does.
await Promise.all([loadCatalogue(), loadYaml(), loadTraceState()]);
