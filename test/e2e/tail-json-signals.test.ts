import { beforeAll, describe, expect, test } from "bun:test";
import { bearer, chatBody, fakeRoutesConfig } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { parsePrometheus, sampleValue } from "./harness/prometheus-text.ts";
import { createKey } from "./harness/spawn-worker.ts";
import { chatForId, type PipedTail, spawnPipedTail } from "./harness/tail-pipe.ts";
import { waitFor } from "./harness/wait-for.ts";

/**
 * `mindgw tail --json` stopped by a signal while its reader is behind (a FIFO the test reads only
 * when it chooses): the line it was writing goes out whole, and a second signal, of any of the
 * three, ends it at once (docs/OBSERVABILITY.md).
 */

/**
 * The model the long lines are made of: routed to the fake upstream as a model 8,000 characters
 * long, which each request's record carries (its upstream model, and again in its attempts). Not a
 * long User-Agent: the gateway keeps 512 characters of one (audit/audit-text.ts).
 */
const LONG_MODEL = `m-${"u".repeat(8000)}`;

const fx = gatewayFixture({
  fakeRoutes: false,
  config: (fakeUrl) =>
    fakeRoutesConfig(fakeUrl, ["m1"], {
      models: [
        { name: "m1", routes: [{ provider: "fake", model: "m1" }] },
        { name: "long", routes: [{ provider: "fake", model: LONG_MODEL }] },
      ],
    }),
});
let key = "";

beforeAll(async () => {
  key = await createKey(fx.gw.url, fx.adminKey, { name: "alice", role: "user" });
}, 30_000);

/** The gateway's live event streams (`mindgw_event_streams_open`): a tail holds one. */
async function openEventStreams(): Promise<number | undefined> {
  const metrics = await fetch(fx.url("/metrics"), { headers: bearer(fx.adminKey) });
  return sampleValue(parsePrometheus(await metrics.text()), "mindgw_event_streams_open");
}

/** A tail whose reader has fallen behind partway through a line longer than a pipe's atomic write. */
async function tailLeftBehind(): Promise<PipedTail> {
  const tail = spawnPipedTail(fx.gw.url, fx.adminKey);
  await waitFor(
    "the tail to print a probe",
    async () => {
      const id = await chatForId(fx.gw.url, key, "m1");
      tail.readNow();
      return tail.out().includes(id);
    },
    20_000,
    0,
  );
  // Lines longer than a pipe's atomic write (4 KiB: an upstream model of 8,000 characters), more of
  // them than the pipe holds (64 KiB), none read: the tail is left partway through one.
  for (let i = 0; i < 12; i++) {
    const res = await fetch(`${fx.gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: bearer(key),
      body: chatBody("long"),
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
  return tail;
}

describe("stop signals with the reader behind", () => {
  test("SIGTERM: the line being written is written whole, then exit 0, where the tail died by the signal (143) and left its reader half a JSON line", async () => {
    const tail = await tailLeftBehind();
    try {
      tail.proc.kill("SIGTERM");
      // The reader catches up: what the tail was writing comes out whole, and it ends.
      await waitFor(
        "the tail to close its output",
        () => {
          tail.readNow();
          return tail.ended();
        },
        20_000,
      );
      expect(await tail.proc.exited).toBe(0);
      expect(tail.proc.signalCode).toBeNull();
      const out = tail.out();
      expect(out.endsWith("\n")).toBe(true);
      const lines = out.split("\n").slice(0, -1);
      for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
      expect(lines.some((line) => line.includes(LONG_MODEL))).toBe(true);
      await tail.stderr.done;
      expect(tail.stderr.all).toBe("");
    } finally {
      tail.stop();
    }
  }, 60_000);

  test("SIGTERM, then a Ctrl-C (SIGINT) while the reader is still behind: the second signal ends it at once, unread line or not", async () => {
    const tail = await tailLeftBehind();
    try {
      tail.proc.kill("SIGTERM");
      // The first signal taken: the tail has left the gateway's event stream. It still waits on
      // its reader, which reads nothing: only a second signal can end it now.
      await waitFor(
        "the tail to leave the event stream",
        async () => (await openEventStreams()) === 0,
        20_000,
      );
      tail.proc.kill("SIGINT");
      await waitFor(
        "the tail to end on the second signal",
        () => tail.proc.exitCode !== null || tail.proc.signalCode !== null,
        20_000,
      );
      expect(tail.proc.signalCode).toBe("SIGINT");
    } finally {
      tail.stop();
    }
  }, 60_000);
});
