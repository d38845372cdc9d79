import type { Subprocess } from "bun";
import { stringify } from "yaml";
import { childEnv } from "../../../src/testing/off-cloud-env.ts";
import { assertBuilt, MINDGW } from "./binary.ts";
import { ProcessOutput } from "./process-output.ts";
import { START_BOUND_MS } from "./start-bound.ts";
import { tempDir } from "./temp-dir.ts";
import { waitFor } from "./wait-for.ts";

export interface GatewayProcess {
  readonly url: string;
  readonly port: number;
  /** The bootstrap admin key printed once on first start (null when the store had keys). */
  readonly adminKey: string | null;
  readonly configPath: string;
  readonly dir: string;
  readonly proc: Subprocess<"ignore", "pipe" | "ignore", "pipe">;
  readonly stdout: ProcessOutput;
  readonly stderr: ProcessOutput;
  /** Sends a signal and waits (bounded) for the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  /** Writes a new config over the watched file. */
  writeConfig(config: object | string): Promise<void>;
}

export interface SpawnOptions {
  /** The YAML document (object or text); storage defaults to a file in the temp dir. */
  config?: object | string;
  /** Reuse a directory (and so its database) across restarts. */
  dir?: string;
  env?: Record<string, string>;
  port?: number;
  /** Serve this existing file (a symlink, say) instead of writing `config` into the directory. */
  configPath?: string;
  /** No config file at all: `mindgw serve` on its embedded defaults (`config` is ignored). */
  embeddedDefaults?: boolean;
  /** stdout to /dev/null, as `serve >&-` leaves it: the listen is read from the log on stderr. */
  stdoutDiscarded?: boolean;
}

const toYaml = (config: object | string) => (typeof config === "string" ? config : stringify(config));

/** Starts `dist/mindgw serve` on 127.0.0.1 and an ephemeral port, and waits until it listens. */
export async function spawnGateway(options: SpawnOptions = {}): Promise<GatewayProcess> {
  assertBuilt();
  const temp = options.dir ? undefined : tempDir();
  const dir = options.dir ?? temp!.path;
  const configPath = options.configPath ?? `${dir}/mindgw.yaml`;
  const config = options.config ?? {};
  const withStorage =
    typeof config === "string" ? config : { storage: { path: `${dir}/mindgw.db` }, ...config };
  const embedded = options.embeddedDefaults === true;
  if (options.configPath === undefined && !embedded) await Bun.write(configPath, toYaml(withStorage));
  const proc = Bun.spawn(
    [
      MINDGW,
      "serve",
      ...(embedded ? [] : ["-c", configPath]),
      "--host",
      "127.0.0.1",
      "--port",
      String(options.port ?? 0),
    ],
    {
      cwd: dir,
      stdin: "ignore",
      stdout: options.stdoutDiscarded ? "ignore" : "pipe",
      stderr: "pipe",
      // MINDGW_CONFIG empty: no config from the environment either. No cloud's metadata service,
      // nor the host's own ~/.aws profile or gcloud login (childEnv: a test that wants a profile
      // passes its files in `options.env`).
      env: childEnv({ ...(embedded ? { MINDGW_CONFIG: "" } : {}), ...options.env }),
    },
  );
  const stdout = new ProcessOutput(proc.stdout);
  const stderr = new ProcessOutput(proc.stderr);
  const listening = await waitFor(
    "the gateway to listen",
    () => {
      if (proc.exitCode !== null) throw new Error(`gateway exited with ${proc.exitCode}:\n${stderr.all}`);
      return options.stdoutDiscarded
        ? stderr.match(/listening on http:\/\/[^:]+:(\d+)/)
        : stdout.match(/serving on http:\/\/[^:]+:(\d+)/);
    },
    START_BOUND_MS,
  ).catch((error: unknown) => {
    proc.kill("SIGKILL");
    throw error;
  });
  const port = Number(listening[1]);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    adminKey: stdout.match(/(mgw_[A-Za-z0-9_-]+)/)?.[1] ?? null,
    configPath,
    dir,
    proc,
    stdout,
    stderr,
    async stop(signal = "SIGTERM", timeoutMs = 15_000) {
      if (proc.exitCode !== null) {
        temp?.cleanup();
        return proc.exitCode;
      }
      proc.kill(signal);
      const exited = await Promise.race([proc.exited, Bun.sleep(timeoutMs).then(() => null)]);
      if (exited === null) proc.kill("SIGKILL");
      await Promise.race([Promise.all([stdout.done, stderr.done]), Bun.sleep(1000)]);
      temp?.cleanup();
      return exited;
    },
    async writeConfig(next) {
      const body = typeof next === "string" ? next : { storage: { path: `${dir}/mindgw.db` }, ...next };
      await Bun.write(`${configPath}.tmp`, toYaml(body));
      const { renameSync } = await import("node:fs");
      renameSync(`${configPath}.tmp`, configPath);
    },
  };
}
