import { expect, test } from "bun:test";
import { childEnv } from "../../src/testing/off-cloud-env.ts";

/** Reads the first stdout line of a process, bounded by a timeout. */
async function firstLine(stream: ReadableStream<Uint8Array>, timeoutMs: number): Promise<string> {
  const reader = stream.getReader();
  let text = "";
  const timer = setTimeout(() => void reader.cancel(), timeoutMs);
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  return text.split("\n")[0] ?? "";
}

test("main.ts prints its port, serves, and exits on SIGTERM", async () => {
  const proc = Bun.spawn(["bun", `${import.meta.dir}/main.ts`, "--no-record"], {
    env: childEnv(),
    stdout: "pipe",
    stderr: "inherit",
  });
  try {
    const { port } = JSON.parse(await firstLine(proc.stdout, 10_000)) as { port: number };
    expect(port).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${port}/v1/models`);
    expect(res.status).toBe(200);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  } finally {
    proc.kill("SIGKILL");
  }
});
