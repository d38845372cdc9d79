import { hostname } from "node:os";
import type { Command } from "commander";
import { parseDuration } from "../config/units.ts";
import { DECIMAL_INT_HINT, decimalDigitsValue } from "../core/decimal-int.ts";
import { messageOf } from "../core/describe-error.ts";
import { keyInUrl, keyInUrlWhy } from "../core/gateway-url-key.ts";
import { unsendableKey } from "../core/header-value.ts";
import { printable } from "../core/printable.ts";
import { workerLogger } from "../gateway/worker-logger.ts";
import { createLogger } from "../log/logger.ts";
import { startTracing } from "../telemetry/tracing/start-tracing.ts";
import { toConnectUrl } from "../workers/worker/connect-url.ts";
import { toUpstreamBase } from "../workers/worker/upstream-base.ts";
import type { runWorker } from "../workers/worker/worker-client.ts";
import { logCrashes } from "./crash-log.ts";
import { EXIT, UsageError } from "./exit-code.ts";
import { givenFlag } from "./given-flag.ts";
import { type LogFlags, logOptionsOf, withLogOptions } from "./log-options.ts";
import { adoptServerLogger } from "./server-logger.ts";
import { VERSION } from "./version.ts";

interface WorkerOptions extends LogFlags {
  connect: string;
  token?: string;
  upstream: string;
  upstreamKey?: string;
  models?: string;
  concurrency: string;
  name?: string;
  label: string[];
  responsesApi?: boolean;
  drainTimeout: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** A flag's parse, its refusal as the usage error it is (exit 2, one line). */
function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(messageOf(error));
  }
}

/** The keys a worker's URLs are checked for (`keyInUrl`), as its refusals name them. */
const WORKER_KEYS = "the worker token or the upstream key";

/**
 * `--connect`'s gateways checked before anything starts, each refusal a usage error naming the flag
 * and, of several, which entry: a URL the worker could never dial was logged as "Invalid URL" alone.
 * An entry is never echoed: one may carry what the refusal is about (user info, a query). One that
 * holds the worker token or the upstream key, or reads as a key (`--connect` and `--token`
 * swapped), is refused too (`keyInUrl`): dialled, the key would be in the request line.
 */
function checkConnect(connect: string, keys: readonly (string | undefined)[]): void {
  const entries = connect.split(",").map((entry) => entry.trim());
  entries.forEach((entry, i) => {
    const which = entries.length > 1 ? ` (entry ${i + 1} of ${entries.length})` : "";
    const found = keyInUrl(entry, keys);
    if (found !== undefined)
      throw new UsageError(
        `--connect${which}: ${keyInUrlWhy(found, WORKER_KEYS)}: give the gateway's URL (wss://gw.example.com)`,
      );
    if (!URL.canParse(entry))
      throw new UsageError(
        `--connect${which}: ${entry === "" ? "empty" : "not a URL"}: give the gateway's ws://, wss://, http:// or https:// URL (wss://gw.example.com)`,
      );
    try {
      toConnectUrl(entry);
    } catch (error) {
      throw new UsageError(`${messageOf(error)}${which}`);
    }
  });
}

/**
 * `--upstream`, refused unechoed when it holds the worker token or the upstream key, or reads as a
 * key (`--upstream` and `--upstream-key` swapped): its refusals quote it (`… names no scheme`), and
 * a key in its path would be sent to the model server and logged there.
 */
function checkedForKeys(upstream: string, keys: readonly (string | undefined)[]): string {
  const found = keyInUrl(upstream, keys);
  if (found === undefined) return upstream;
  throw new UsageError(
    `--upstream: ${keyInUrlWhy(found, WORKER_KEYS)}: give the model server's URL with /v1 (http://127.0.0.1:8000/v1)`,
  );
}

/**
 * `--models` as a list (undefined: not given, the upstream's /v1/models). Given empty or naming
 * no model (`--models "$MODELS"` unset, `--models ,`), it is refused by name: read as unset, the
 * worker would offer every model its upstream lists, unasked.
 */
function modelsOf(given: string | undefined): string[] | undefined {
  const models = givenFlag("--models", given)
    ?.split(",")
    .map((m) => m.trim())
    .filter(Boolean);
  if (models?.length === 0) throw new UsageError("--models: names no model");
  return models;
}

/** A key no HTTP header can carry (core/header-value.ts), refused naming where it came from. */
function refuseUnsendable(key: string, flag: string | undefined, flagName: string, variable: string): void {
  const why = unsendableKey(key, flag, flagName, variable);
  if (why) throw new UsageError(why);
}

function labelsOf(pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf("=");
      if (at <= 0) throw new UsageError(`--label: expected key=value, got ${printable(pair)}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

export function registerWorker(program: Command): void {
  withLogOptions(program.command("worker"))
    .description("serve a local model server through a gateway, over one outbound connection")
    .requiredOption(
      "--connect <url>",
      "the gateway (wss://, ws://, https:// or http://); several, comma-separated, are dialled in turn after a lost connection",
    )
    .option("--token <key>", "worker-role key (default: $MINDGW_WORKER_TOKEN)")
    .requiredOption("--upstream <url>", "the model server's OpenAI-compatible base URL, with /v1")
    .option(
      "--upstream-key <key>",
      "API key the model server expects, if any (default: $MINDGW_UPSTREAM_KEY, which keeps it out of the process list)",
    )
    .option("--models <list>", "comma-separated models to offer (default: the upstream's /v1/models)")
    .option("--concurrency <n>", "requests served at once", "8")
    .option("--name <name>", "worker name (default: the host name)")
    .option("--label <k=v>", "label shown to operators (repeatable)", collect, [])
    .option(
      "--responses-api",
      "announce that the upstream serves OpenAI's Responses API (/v1/responses), so Responses calls pass through natively (default: ask the upstream at start)",
    )
    .option("--no-responses-api", "never announce the Responses API: Responses calls are translated to chat")
    .option(
      "--drain-timeout <duration>",
      "on SIGTERM, how long in-flight requests may take to finish before they are aborted (30s, 2m)",
      "30s",
    )
    .action(async (options: WorkerOptions) => {
      // A flag given empty is refused by name, never read as unset (given-flag.ts).
      const tokenFlag = givenFlag("--token", options.token);
      const token = tokenFlag ?? process.env.MINDGW_WORKER_TOKEN;
      if (!token) throw new UsageError("--token or MINDGW_WORKER_TOKEN is required");
      // A flag is readable by every user of the box (/proc/<pid>/cmdline) and in a pod's spec.
      const upstreamKeyFlag = givenFlag("--upstream-key", options.upstreamKey);
      const upstreamKey = upstreamKeyFlag || process.env.MINDGW_UPSTREAM_KEY || undefined;
      // Refused now: fetch would refuse the header once the worker had started, in its log, exit 1.
      refuseUnsendable(token, tokenFlag, "--token", "MINDGW_WORKER_TOKEN");
      if (upstreamKey)
        refuseUnsendable(upstreamKey, upstreamKeyFlag, "--upstream-key", "MINDGW_UPSTREAM_KEY");
      checkConnect(options.connect, [token, upstreamKey]);
      const models = modelsOf(options.models);
      // Digits too many to hold exactly are still past the gateway's bound, which registerProblem says.
      const concurrency = decimalDigitsValue(options.concurrency) ?? 0;
      if (concurrency < 1)
        throw new UsageError(`--concurrency: ${DECIMAL_INT_HINT}, at least 1 (8, not 0x8 or 8.0)`);
      const drainTimeoutMs = parseDuration(options.drainTimeout);
      if (drainTimeoutMs === undefined) throw new UsageError("--drain-timeout: a duration such as 30s or 2m");
      const upstream = usage(() => toUpstreamBase(checkedForKeys(options.upstream, [token, upstreamKey])));
      const labels = labelsOf(options.label);
      const logger = createLogger(logOptionsOf(options));
      adoptServerLogger(logger);
      logCrashes(logger);
      const tracing = await startTracing("mindgw-worker", logger);
      // runWorker handles SIGTERM and SIGINT while it runs and removes its handlers when it
      // returns; a signal after that (a supervisor repeating itself while the process exits,
      // spans still being exported) would take the default action, a kill (143), after a clean
      // drain. These listeners, there from the start, keep the process's handling installed.
      const afterRun = () => {};
      process.on("SIGTERM", afterRun);
      process.on("SIGINT", afterRun);
      // The worker's own code loads here, not with the CLI: `mindgw serve` never evaluates it.
      const run = (require("../workers/worker/worker-client.ts") as { runWorker: typeof runWorker })
        .runWorker;
      const code = await run({
        connect: options.connect,
        token,
        upstream,
        ...(upstreamKey ? { upstreamApiKey: upstreamKey } : {}),
        ...(models ? { models } : {}),
        concurrency,
        name: options.name ?? hostname(),
        labels,
        // Neither flag: undefined, and the worker asks its upstream.
        ...(options.responsesApi !== undefined ? { responsesApi: options.responsesApi } : {}),
        log: workerLogger(logger),
        ...(tracing ? { tracer: tracing.tracer } : {}),
        version: VERSION,
        drainTimeoutMs,
      });
      // Exit at once rather than wait on some library's stray timer.
      await tracing?.shutdown();
      process.exit(code === 2 ? EXIT.usage : code);
    });
}
