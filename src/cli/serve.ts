import type { Command } from "commander";
import { createGateway } from "../gateway/create-gateway.ts";
import { createLogger } from "../log/logger.ts";
import { heapStatsOnSignal } from "../telemetry/debug/heap-stats-on-signal.ts";
import { startTracing } from "../telemetry/tracing/start-tracing.ts";
import { UsageError } from "./exit-code.ts";
import { resolveConfigSource } from "./resolve-config.ts";

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
    .action(async (options: ServeOptions) => {
      await serve(options);
    });
}

async function serve(options: ServeOptions): Promise<void> {
  // Read once: the watch starts from this very text (an edit made while the gateway starts is read).
  const source = await resolveConfigSource(options.config);
  const { initial: config, path } = source;
  const port = options.port === undefined ? config.server.port : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port: not a port: ${options.port}`);
  const host = options.host ?? config.server.host;
  const logger = createLogger(config.log);
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
      // stdout, not the log: the one time this key is ever shown.
      process.stdout.write(
        `\nmindgw: the key store was empty, so an admin key was created. It is shown once; store it now:\n\n  ${key}\n\n`,
      );
    },
  });
  let address: { port: number; hostname: string };
  try {
    address = gateway.listen(host, port);
  } catch (error) {
    await gateway.stop();
    await tracing?.shutdown();
    const inUse =
      error instanceof Error &&
      /EADDRINUSE|in use/i.test(`${error.message} ${"code" in error ? error.code : ""}`);
    throw new Error(
      inUse
        ? `cannot listen on ${host}:${port}: the address is already in use (another mindgw?)`
        : `cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  try {
    await gateway.bootstrapAdmin();
  } catch (error) {
    await gateway.stop();
    await tracing?.shutdown();
    throw error;
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info(`${signal} received: draining`);
      // Spans still buffered are exported before the process exits.
      gateway
        .stop()
        .then(() => tracing?.shutdown())
        .then(resolve, (error: unknown) => {
          logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
          process.exitCode = 1;
          resolve();
        });
    };
    // One drain: a second SIGTERM or SIGINT (a supervisor repeating itself, a second Ctrl-C) must
    // not take the default action, a kill (143) that would drop the audit queue the drain is
    // writing. It is logged and ignored; the drain ends by its own deadline, SIGKILL at once.
    let draining = false;
    const onStopSignal = (signal: "SIGTERM" | "SIGINT") => {
      if (draining) return logger.warn(`${signal} received: already draining (SIGKILL stops at once)`);
      draining = true;
      stop(signal);
    };
    process.on("SIGTERM", () => onStopSignal("SIGTERM"));
    process.on("SIGINT", () => onStopSignal("SIGINT"));
    // SIGHUP is the operator's "reload now"; without a handler it would kill the process.
    process.on("SIGHUP", () => {
      if (!path) return logger.warn("SIGHUP received: no config file to reload (embedded defaults)");
      logger.info("SIGHUP received: reloading the config file");
      gateway.reload().then(
        (changed) => {
          if (!changed) logger.info("config file unchanged; nothing to reload");
        },
        (error: unknown) =>
          logger.error(`reload failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    });
    // Announced only once the signal handlers are in place: a supervisor (or a test) that sends
    // SIGTERM as soon as it reads the banner gets a drain and exit 0, never the default kill.
    logger.info(`listening on http://${address.hostname}:${address.port} (${path ?? "embedded defaults"})`);
    // The banner goes to stdout, after any one-time admin key, so scripts can wait for it.
    process.stdout.write(`mindgw serving on http://${address.hostname}:${address.port}\n`);
  });
  logger.info("stopped");
  // Everything is flushed and closed; exit now rather than wait on some library's stray timer.
  process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
}
