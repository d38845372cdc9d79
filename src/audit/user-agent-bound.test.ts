import { afterEach, expect, test } from "bun:test";
import { tempDir } from "../../test/e2e/harness/temp-dir.ts";
import { parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { postgresFixture } from "../storage/postgres/postgres-storage-fixture.ts";
import { type RecordingGateway, recordingGateway, recordOf } from "../testing/recording-gateway.ts";
import { waitForValue } from "../testing/wait-for.ts";
import { MAX_AUDIT_TEXT } from "./audit-text.ts";

// A client's User-Agent is kept to `MAX_AUDIT_TEXT` characters wherever the gateway keeps it: its
// events (the live stream, webhooks, the Redis stream) and its audit row on either store. SQLite cut
// it at 512 (the interned values' bound) while PostgreSQL and every event kept the 8,000 characters
// a client sent — on each of a client's requests, unauthenticated ones too.

const pg = postgresFixture();
const started: Gateway[] = [];
const dirs: (() => void)[] = [];
afterEach(async () => {
  for (const gateway of started.splice(0)) await gateway.stop();
  for (const cleanup of dirs.splice(0)) cleanup();
});

const LONG_AGENT = `curl/8.5.0 ${"u".repeat(8000)}`;

async function gatewayOn(storage: object): Promise<RecordingGateway & { port: number }> {
  const recording = await recordingGateway(
    parseConfig({
      storage,
      audit: { flush_ms: 10 },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "mock", routes: [{ provider: "demo", model: "mock" }] }],
    }),
  );
  started.push(recording.gateway);
  const { port } = recording.gateway.listen("127.0.0.1", 0);
  return { ...recording, port };
}

/** A chat call by `key` (none: refused 401) with the long agent; its event's and its stored row's agents. */
async function agentsKept(gw: RecordingGateway & { port: number }, key: string | null) {
  const response = await fetch(`http://127.0.0.1:${gw.port}/v1/chat/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": LONG_AGENT,
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
    },
    body: JSON.stringify({ model: "mock", messages: [{ role: "user", content: "hi" }] }),
  });
  await response.arrayBuffer();
  expect(response.status).toBe(key === null ? 401 : 200);
  const event = await recordOf(gw.finished, response);
  const stored = await waitForValue("the stored audit row", async () =>
    (await gw.gateway.storage.audit.select({ order: "asc", bodies: false }, null, 500)).find(
      (entry) => entry.record.requestId === event.requestId,
    ),
  );
  return { event: event.userAgent, stored: stored.record.userAgent };
}

const bounded = LONG_AGENT.slice(0, MAX_AUDIT_TEXT);

test("SQLite: the event and the row keep the agent's first 512 characters alike", async () => {
  const dir = tempDir();
  dirs.push(dir.cleanup);
  const gw = await gatewayOn({ path: dir.file("mindgw.db") });
  for (const key of [gw.adminKey, null])
    expect(await agentsKept(gw, key)).toEqual({ event: bounded, stored: bounded });
});

test("PostgreSQL: the event and the row keep the agent's first 512 characters, as SQLite does", async () => {
  const url = new URL(await pg.database());
  url.searchParams.set("sslmode", "disable");
  const gw = await gatewayOn({ driver: "postgres", url: url.toString() });
  for (const key of [gw.adminKey, null])
    expect(await agentsKept(gw, key)).toEqual({ event: bounded, stored: bounded });
});
