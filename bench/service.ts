import type { Subprocess } from "bun";

/** Every process the harness started; all are killed when it exits, on success or error. */
const running = new Set<Subprocess>();

process.on("exit", () => {
  for (const proc of running) proc.kill("SIGKILL");
});

/** A started child process, stopped by its own handle. Its output is drained so it never blocks. */
export interface Service {
  readonly pid: number;
  /** The first 64 KiB of stdout, for port lines and error messages. */
  output(): string;
  /** Resolves when stdout shows `{"port":N}` (the fake and the bare proxy print one). */
  portLine(timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

const KEEP_OUTPUT = 64 * 1024;

/** Starts `cmd`; stderr goes to `stderrPath` (or is dropped), stdout is drained in the background. */
export function spawnService(
  cmd: string[],
  opts: { env?: Record<string, string>; stderrPath?: string } = {},
): Service {
  const proc = Bun.spawn(cmd, {
    stdin: "ignore",
    stdout: "pipe",
    stderr: opts.stderrPath ? Bun.file(opts.stderrPath) : "ignore",
    env: { ...process.env, ...opts.env },
  });
  running.add(proc);
  let text = "";
  const changed = new Set<() => void>();
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) {
      if (text.length < KEEP_OUTPUT) text += decoder.decode(chunk, { stream: true });
      for (const f of changed) f();
    }
    for (const f of changed) f();
  })();
  return {
    pid: proc.pid,
    output: () => text,
    portLine(timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = text.match(/\{"port":(\d+)\}/);
          if (match) finish(() => resolve(Number(match[1])));
          else if (proc.exitCode !== null)
            finish(() => reject(new Error(`${cmd.join(" ")} exited: ${text}`)));
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`no port line from ${cmd.join(" ")}`))),
          timeoutMs,
        );
        const finish = (f: () => void) => {
          clearTimeout(timer);
          changed.delete(check);
          f();
        };
        changed.add(check);
        check();
      });
    },
    async stop() {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await proc.exited;
      clearTimeout(timer);
      running.delete(proc);
    },
  };
}

/** Polls `url` until it answers (any status below 500) or the time is up. */
export async function waitForHttp(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) })
      .then((r) => r.status < 500)
      .catch(() => false);
    if (ok) return;
    await Bun.sleep(100);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** A free loopback port, for processes that must be told their port up front. */
export function freePort(): number {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port ?? 0;
  void probe.stop(true);
  return port;
}

/** Resident memory of a process in KiB, from /proc. */
export async function rssKib(pid: number): Promise<number | undefined> {
  const status = await Bun.file(`/proc/${pid}/status`)
    .text()
    .catch(() => "");
  const match = status.match(/^VmRSS:\s+(\d+)\s+kB/m);
  return match ? Number(match[1]) : undefined;
}
