import { closeSync, constants, openSync, readSync } from "node:fs";
import { childEnv } from "../../../src/testing/off-cloud-env.ts";
import { MINDGW } from "./binary.ts";
import { bearer, chatBody } from "./fake-config.ts";
import { ProcessOutput } from "./process-output.ts";
import { tempDir } from "./temp-dir.ts";

/** A chat request to the gateway at `url`; returns its request id (from `x-request-id`) once answered. */
export async function chatForId(url: string, key: string, model: string, text = "hi"): Promise<string> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: bearer(key),
    body: chatBody(model, text),
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  return res.headers.get("x-request-id") ?? "";
}

/** `mindgw tail --json` writing into a pipe the test reads only when it chooses (`readNow`). */
export interface PipedTail {
  readonly proc: Bun.Subprocess<"ignore", number, "pipe">;
  readonly stderr: ProcessOutput;
  /** What the tail wrote that `readNow` has read. */
  out(): string;
  /** Whether the tail's end of the pipe is closed (read to its end). */
  ended(): boolean;
  /** Takes what the pipe holds now, without waiting. */
  readNow(): void;
  /** Kills the tail if it still runs; closes the pipe and removes its directory. */
  stop(): void;
}

/**
 * Spawns the tail with its stdout a FIFO whose read end is open (non-blocking) first, so the pipe
 * fills (64 KiB) when the test reads nothing: the tail is then a writer whose reader is behind.
 */
export function spawnPipedTail(gatewayUrl: string, adminKey: string): PipedTail {
  const dir = tempDir();
  const fifo = dir.file("out");
  if (Bun.spawnSync(["mkfifo", fifo]).exitCode !== 0) throw new Error("mkfifo failed");
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(fifo, constants.O_WRONLY);
  const proc = Bun.spawn([MINDGW, "tail", "--json", "--gateway", gatewayUrl], {
    stdin: "ignore",
    stdout: writer,
    stderr: "pipe",
    env: childEnv({ MINDGW_GATEWAY: "", MINDGW_ADMIN_KEY: adminKey }),
  });
  closeSync(writer);
  const stderr = new ProcessOutput(proc.stderr);
  let out = "";
  let ended = false;
  const buffer = Buffer.alloc(65_536);
  return {
    proc,
    stderr,
    out: () => out,
    ended: () => ended,
    readNow() {
      for (;;) {
        let n: number;
        try {
          n = readSync(reader, buffer);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "EAGAIN") return;
          throw error;
        }
        if (n === 0) {
          ended = true;
          return;
        }
        out += buffer.toString("utf8", 0, n);
      }
    },
    stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      closeSync(reader);
      dir.cleanup();
    },
  };
}
