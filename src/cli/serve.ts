import type { Command } from "commander";
import { plainAdvertiseWarning } from "../config/advertise-url-warning.ts";
import { baseUrlWarnings } from "../config/base-url-warnings.ts";
import { ignoredWeightWarnings } from "../config/ignored-weight-warnings.ts";
import { metricsListenIgnored } from "../config/metrics-config.ts";
import { retentionWarnings } from "../config/retention-warnings.ts";
import { HOST_CHOICES } from "../config/server-config.ts";
import { messageOf } from "../core/describe-error.ts";
import { httpOrigin } from "../core/http-origin.ts";
import { listenFailure } from "../core/listen-failure.ts";
import { createGateway } from "../gateway/create-gateway.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import { missingCredentials, warnMissingCredentials } from "../providers/missing-credentials.ts";
import { takeServeLock } from "../storage/sqlite/serve-lock.ts";
import { heapStatsOnSignal } from "../telemetry/debug/heap-stats-on-signal.ts";
import { startTracing } from "../telemetry/tracing/start-tracing.ts";
import { logCrashes } from "./crash-log.ts";
import { UsageError } from "./exit-code.ts";
import { resolveConfigSource } from "./resolve-config.ts";
import { serveAddress } from "./serve-address.ts";
import { type StopSignal, serveSignals } from "./serve-signals.ts";
import { adoptServerLogger } from "./server-logger.ts";
import { showOnce } from "./show-once.ts";
import { traceFlushTime } from "./trace-flush-time.ts";

interface ServeOptions {
  config?: string;
  host?: string;
  port?: string;
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("run the gateway (embedded defaults when no config is given)")
    .option("-c, --config <file>", "config file (default: $MINDGW_CONFIG, else the embedded defaults)")
    .option("--host <host>", "address to listen on (overrides server.host)")
    .option("--port <port>", "port to listen on, 0 for any free one (overrides server.port)")
    .action(serve);
}

async function serve(options: ServeOptions): Promise<void> {
  // Caught since main.ts began (catch-serve-signals.ts): a signal while the gateway starts must
  // find its handler (serve-signals.ts).
  const signals = serveSignals();
  // Read once: the watch starts from this very text (an edit made while the gateway starts is read).
  const source = await resolveConfigSource(options.config);
  const { initial: config, path } = source;
  const { host, port } = serveAddress(options, config.server);
  const logger = createLogger(config.log);
  signals.logTo(logger);
  adoptServerLogger(logger);
  logCrashes(logger);
  if (signals.stopAsked) return stoppedBeforeListening(signals.stopAsked, logger, async () => {});
  // Before the database is opened: a second gateway on the file refuses before it prunes or writes
  // anything. Held until the gateway has stopped; a process that dies holding it (kill -9) lets go.
  const lock = config.storage.driver === "sqlite" ? takeServeLock(config.storage.path) : undefined;
  const tracing = await startTracing("mindgw", logger);
  heapStatsOnSignal(process.env.MINDGW_HEAP_STATS);
  const gateway = await createGateway({
    configSource: source,
    logger,
    ...(tracing ? { tracing } : {}),
    // Made once the port is ours (below), never before: a start that fails to bind would print
    // the only showing of the key in the output of a failed start and leave the store non-empty,
    // so no later start would ever show one.
    bootstrapAdmin: "on-call",
    onBootstrapKey(key) {
      // stdout, not the log: the one time this key is ever shown. Where stdout reaches no one, the
      // log says so, without the key: stderr is the log, collected and kept (a journal, a log
      // pipeline) by more people than the one who should hold an admin key.
      const lost = showOnce(
        `\nmindgw: the key store was empty, so an admin key was created. It is shown once; store it now:\n\n  ${key}\n\n`,
      );
      if (lost)
        logger.error(
          `the key store was empty, so an admin key (bootstrap-admin) was created, but ${lost}: it is shown nowhere (never in the log). Revoke it with \`mindgw keys revoke bootstrap-admin -c ${path ?? "<config>"}\` and create an admin key with \`mindgw keys create --name admin --role admin -c ${path ?? "<config>"}\``,
        );
    },
  });
  // Spans still buffered are exported before the process exits, within what is left of the drain's
  // time and a second at least (a collector that hangs would hold the exit for the exporter's own
  // timeout, and retries; a stop that used the whole drain would leave a healthy one no time).
  const stopAll = async () => {
    const stopping = performance.now();
    await gateway.stop();
    await tracing?.shutdown(traceFlushTime(config.server.drain_timeout, performance.now() - stopping));
    lock?.release();
  };
  if (signals.stopAsked) return stoppedBeforeListening(signals.stopAsked, logger, stopAll);
  let address: { port: number; hostname: string };
  try {
    address = gateway.listen(host, port);
  } catch (error) {
    await stopAll();
    const failure = listenFailure(`${host}:${port}`, error);
    // A host that is no address here is a setting to fix (exit 2), as an empty --host is.
    if (failure.badHost) throw new UsageError(`${failure.words}: give --host or server.host ${HOST_CHOICES}`);
    throw new Error(
      failure.inUse
        ? `${failure.words} (another mindgw? give this one another port: --port or server.port)`
        : failure.words,
    );
  }
  try {
    await gateway.bootstrapAdmin();
  } catch (error) {
    await stopAll();
    throw error;
  }
  await new Promise<void>((resolve) => {
    signals.running({
      stop(signal) {
        logger.info(`${signal} received: draining`);
        stopAll().then(resolve, (error: unknown) => {
          logger.error(`shutdown failed: ${messageOf(error)}`);
          process.exitCode = 1;
          resolve();
        });
      },
      reload() {
        if (!path) return logger.warn("SIGHUP received: no config file to reload (embedded defaults)");
        logger.info("SIGHUP received: reloading the config file");
        gateway.reload().then(
          (changed) => {
            if (changed) return;
            // The file still says what was refused: "unchanged" alone would read as all well.
            const rejected = gateway.lastReloadError();
            if (rejected)
              logger.warn(
                `config file unchanged and still rejected, still serving the previous config:\n${rejected}`,
              );
            else if (gateway.restartRequired().length > 0)
              logger.warn(
                `config file unchanged; restart still required for: ${gateway.restartRequired().join(", ")}`,
              );
            else logger.info("config file unchanged; nothing to reload");
          },
          (error: unknown) => logger.error(`reload failed: ${messageOf(error)}`),
        );
      },
    });
    // A stop asked while the port was bound or the admin key made: draining already, no banner.
    if (signals.stopAsked) return;
    const origin = httpOrigin(address.hostname, address.port);
    logger.info(`listening on ${origin} (${path ?? "embedded defaults"})`);
    // Credentials are read on a provider's first call; one that has none answers 502 until then.
    warnMissingCredentials(logger, missingCredentials(config));
    // A tenant's requests and tokens count only the part of its budget period still audited.
    for (const warning of retentionWarnings(config)) logger.warn(warning);
    // An anthropic base_url ending in /v1: every call would go to …/v1/v1/messages.
    for (const warning of baseUrlWarnings(config)) logger.warn(warning);
    // Peers reach this node over plain http off the host: the cluster's secret rides in the clear.
    const plainAdvertise = plainAdvertiseWarning(config);
    if (plainAdvertise) logger.warn(plainAdvertise);
    // A weight on a model that is not weighted: its routes keep their order.
    for (const warning of ignoredWeightWarnings(config)) logger.warn(warning);
    const ignored = metricsListenIgnored(config.metrics);
    if (ignored) logger.warn(ignored);
    // Spans carry prompts and answers read from the audit row's bodies: without them, none.
    if (tracing?.captureContent && !config.audit.bodies)
      logger.warn(
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true captures nothing: spans take prompts and answers from the bodies the audit keeps, and audit.bodies is false; set audit.bodies: true to capture them",
      );
    // The banner goes to stdout, after any one-time admin key, so scripts can wait for it.
    process.stdout.write(`mindgw serving on ${origin}\n`);
  });
  exitStopped(logger);
}

/** A SIGTERM or SIGINT came while starting: what was started stops, and the process exits 0. */
async function stoppedBeforeListening(signal: StopSignal, logger: Logger, stopAll: () => Promise<void>) {
  logger.info(`${signal} received while starting: stopped before listening`);
  try {
    await stopAll();
  } catch (error) {
    logger.error(`shutdown failed: ${messageOf(error)}`);
    process.exitCode = 1;
  }
  exitStopped(logger);
}

function exitStopped(logger: Logger): never {
  logger.info("stopped");
  // Everything is flushed and closed; exit now rather than wait on some library's stray timer.
  process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
}
