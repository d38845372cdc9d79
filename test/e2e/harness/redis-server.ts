import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { RedisClient } from "bun";
import { freePort } from "./free-port.ts";
import { endAfterRun, removeAfterRun } from "./left-behind.ts";
import { ProcessOutput } from "./process-output.ts";
import { waitFor } from "./wait-for.ts";

/** A throwaway redis-server on a loopback port, in a temp directory, without persistence. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** The server's pid while it runs (benchmarks read its CPU time). */
  pids(): number[];
  /** SIGKILL: every key is gone, as after a crash without persistence. */
  kill(): Promise<void>;
  /**
   * Runs `during` with the server stopped (SIGSTOP) and continues it (SIGCONT) after, whatever
   * happened: a Redis that takes what is written to its sockets and answers nothing, closing none.
   */
  frozen<T>(during: () => Promise<T>): Promise<T>;
  /** Starts it again on the same port (after `kill`). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "mindgw-redis-"));
  const removeDir = removeAfterRun(dir);
  let port = freePort();
  let proc: Subprocess<"ignore", "pipe", "pipe"> | null = null;
  let forget = () => {};

  const launch = async (): Promise<void> => {
    const child = Bun.spawn(
      [
        "redis-server",
        "--bind",
        "127.0.0.1",
        "--port",
        String(port),
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "no",
        "--loglevel",
        "warning",
      ],
      { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
    );
    proc = child;
    forget = endAfterRun(child);
    const out = new ProcessOutput(child.stdout);
    await waitFor(
      "redis-server to answer PING",
      async () => {
        if (child.exitCode !== null)
          throw new Error(`redis-server exited with ${child.exitCode}:\n${out.all}`);
        const probe = new RedisClient(`redis://127.0.0.1:${port}`, {
          autoReconnect: false,
          connectionTimeout: 500,
        });
        try {
          return (await probe.send("PING", [])) === "PONG";
        } catch {
          return false;
        } finally {
          probe.close();
        }
      },
      15_000,
      25,
    );
  };

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const child = proc;
    proc = null;
    if (child === null || child.exitCode !== null) return;
    child.kill(signal);
    await child.exited;
    forget();
  };

  for (let attempt = 0; ; attempt++) {
    try {
      await launch();
      break;
    } catch (error) {
      await halt("SIGKILL");
      if (attempt >= 3) {
        removeDir();
        throw error;
      }
      port = freePort();
    }
  }

  return {
    pids: () => (proc === null ? [] : [proc.pid]),
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: () => halt("SIGKILL"),
    async frozen(during) {
      const pid = proc?.pid;
      if (pid === undefined) throw new Error("redis-server is not running");
      process.kill(pid, "SIGSTOP");
      try {
        return await during();
      } finally {
        process.kill(pid, "SIGCONT");
      }
    },
    start: launch,
    async stop() {
      await halt("SIGKILL");
      removeDir();
    },
  };
}
