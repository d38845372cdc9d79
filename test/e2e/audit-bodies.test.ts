import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { AuditRecord } from "../../src/audit/audit-record.ts";
import { BODY_NOT_KEPT } from "../../src/audit/queued-bodies.ts";
import { listenToEvents } from "./harness/event-stream.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// Issue 4 point 1: bodies are off by default; `audit.bodies: true` stores them through the
// redaction hook, and a config reload switches capture on or off while running.
setDefaultTimeout(60_000);

let gw: GatewayProcess;
const SECRET = "mgw_ThisLooksLikeAKeyInAPrompt1234";
const ANTHROPIC_KEY = "sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

const config = (bodies: boolean, maxQueueBytes?: string) => ({
  providers: [{ name: "mock", type: "mock" }],
  models: [{ name: "mock", routes: [{ provider: "mock", model: "mock" }] }],
  audit: { bodies, ...(maxQueueBytes === undefined ? {} : { max_queue_bytes: maxQueueBytes }) },
});

async function chat(stream: boolean, content = `remember ${SECRET} please`): Promise<string> {
  const response = await fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
    body: JSON.stringify({
      model: "mock",
      stream,
      messages: [{ role: "user", content }],
    }),
  });
  await response.text();
  expect(response.status).toBe(200);
  return response.headers.get("x-request-id") ?? "";
}

function row(requestId: string): Promise<AuditRecord> {
  return waitFor(`the audit row of ${requestId}`, async () => {
    const response = await fetch(`${gw.url}/admin/api/audit?bodies=true&limit=100`, {
      headers: { authorization: `Bearer ${gw.adminKey}` },
    });
    const { records } = (await response.json()) as { records: AuditRecord[] };
    return records.find((record) => record.requestId === requestId);
  });
}

/** Writes `next` and waits for the version after `after` (by default the one in force) to apply. */
async function reloaded(
  next: object,
  after?: number,
): Promise<{ version: number; restartRequired: string[] }> {
  const status = async () => {
    const response = await fetch(`${gw.url}/admin/api/status`, {
      headers: { authorization: `Bearer ${gw.adminKey}` },
    });
    return ((await response.json()) as { config: { version: number; restartRequired: string[] } }).config;
  };
  const before = after ?? (await status()).version;
  await gw.writeConfig(next);
  return waitFor(`config version ${before + 1}`, async () => {
    const current = await status();
    return current.version > before ? current : undefined;
  });
}

const fx = gatewayFixture({ fake: null, fakeRoutes: false, config: () => config(true) });

beforeAll(async () => {
  gw = fx.gw;
});

describe("audit bodies", () => {
  test("a non-stream call stores both bodies, with the credential redacted", async () => {
    const record = await row(await chat(false));
    expect(record.requestBody).toContain("remember [redacted] please");
    expect(record.responseBody).toContain("chat.completion");
    expect(JSON.stringify(record)).not.toContain(SECRET);
  });

  test("the live event stream carries no body: the credential in a prompt is only in the row, redacted", async () => {
    // What `mindgw tail` and the web UI's live mode read; webhooks and the Redis stream get the same events.
    const live = listenToEvents(gw);
    try {
      await live.ready;
      const id = await chat(false, `my key is ${ANTHROPIC_KEY}`);
      const event = await waitFor("the live request.finished", () =>
        live.events.find((e) => e.type === "request.finished" && e.record.requestId === id),
      );
      expect(event.type === "request.finished" && event.record).toMatchObject({ requestId: id, status: 200 });
      expect(Object.keys(event.type === "request.finished" ? event.record : {})).not.toContain("requestBody");
      expect(JSON.stringify(live.events)).not.toContain(ANTHROPIC_KEY);
      expect(JSON.stringify(live.events)).not.toContain("my key is");
      expect((await row(id)).requestBody).toContain("my key is [redacted]");
    } finally {
      live.close();
    }
  });

  test("a streamed answer is stored as the event text the client received", async () => {
    const record = await row(await chat(true));
    expect(record.responseBody).toContain("data: ");
    expect(record.responseBody).toContain("[DONE]");
  });

  test("the request body is stored as the client sent it, not serialised again from the parsed body", async () => {
    // Spaced and ordered as a client may write it (and read back as such): the row keeps the
    // bytes that came, decoded, where re-serialising the parsed body made one more copy of it.
    const sent = JSON.stringify({ messages: [{ role: "user", content: "as sent" }], model: "mock" }, null, 2);
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
      body: sent,
    });
    await response.text();
    expect((await row(response.headers.get("x-request-id") ?? "")).requestBody).toBe(sent);
  });

  test("a request body that starts with a byte-order mark is stored with it, as it came, read whole or chunked", async () => {
    // The gateway reads such a body (its parse skips the mark); the row is its bytes, the mark theirs.
    const sent = `\uFEFF${JSON.stringify({ model: "mock", messages: [{ role: "user", content: "marked" }] })}`;
    const chunked = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(sent));
          controller.close();
        },
      });
    for (const body of [sent, chunked()]) {
      const response = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
        body,
      });
      await response.text();
      expect(response.status).toBe(200);
      expect((await row(response.headers.get("x-request-id") ?? "")).requestBody).toBe(sent);
    }
  });

  test("a 4 MB body (an image) is stored whole, as sent, several in a row", async () => {
    // Queued, handed to the audit thread and bound there as bytes: each row holds its own body,
    // every character of it, multi-byte ones included.
    const sent = Array.from({ length: 3 }, (_, i) =>
      JSON.stringify({
        model: "mock",
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: `picture ${i}: what is in it? ünïcødé ✓ 😀` },
              {
                type: "image_url",
                image_url: { url: `data:image/png;base64,${Buffer.alloc(3 << 20, i).toString("base64")}` },
              },
            ],
          },
        ],
      }),
    );
    const ids = await Promise.all(
      sent.map(async (body) => {
        const response = await fetch(`${gw.url}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
          body,
        });
        await response.text();
        expect(response.status).toBe(200);
        return response.headers.get("x-request-id") ?? "";
      }),
    );
    for (const [i, id] of ids.entries()) {
      const record = await row(id);
      expect(record.requestBody?.length).toBe(sent[i]?.length);
      expect(record.requestBody === sent[i]).toBe(true);
      expect(record.responseBody).toContain("chat.completion");
    }
  });

  test("a body with PHP's escaped slashes has its whole credential redacted", async () => {
    // json_encode writes "/" as "\/": kept as sent, "Bearer abc\/def…" was redacted only up to the
    // backslash (here not at all, "abc" being too short for a token).
    const sent =
      '{"model":"mock","messages":[{"role":"user","content":"use Bearer abc\\/defghijklmnop please"}]}';
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
      body: sent,
    });
    await response.text();
    const stored = (await row(response.headers.get("x-request-id") ?? "")).requestBody ?? "";
    expect(stored).toContain("use Bearer [redacted] please");
    expect(stored).not.toContain("ghijklmnop");
  });

  test("turning bodies off by a config reload stops capture at once", async () => {
    await gw.writeConfig(config(false));
    await waitFor("the reload", () => gw.stderr.match(/config reloaded/));
    const record = await row(await chat(false));
    expect(record.requestBody ?? null).toBeNull();
    expect(record.responseBody ?? null).toBeNull();
  });

  test("audit.max_queue_bytes lowered by a config reload holds the running queue to it: applied, no restart, and a body past it is not kept", async () => {
    const large = "x".repeat(100 * 1024);
    // Bodies back on (the test before turned them off), at the default bound: a 100KB body is kept.
    const { version } = await reloaded(config(true));
    expect((await row(await chat(false, large))).requestBody).toContain(large);
    expect((await reloaded(config(true, "64KB"), version)).restartRequired).toEqual([]);
    // The queue is empty: the body takes more than a 64KB queue keeps for bodies (15/16 of it).
    expect((await row(await chat(false, large))).requestBody).toBe(BODY_NOT_KEPT);
    // A small one still fits.
    expect((await row(await chat(false, "short"))).requestBody).toContain("short");
  });
});
