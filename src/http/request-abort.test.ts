import { heapStats } from "bun:jsc";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TCPSocketListener } from "bun";
import { MAX_AUDIT_ATTEMPTS } from "../audit/audit-attempt.ts";
import type { AuditRecord } from "../audit/audit-record.ts";
import { KeySessions } from "../auth/key-sessions.ts";
import type { Principal } from "../auth/principal.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import { type GatewayError, unavailable } from "../core/gateway-error.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";
import { waitFor, waitForValue } from "../testing/wait-for.ts";
import { estimatedPromptTokens } from "../translate/prompt-estimate.ts";
import { RequestAbort } from "./request-abort.ts";
import { Shutdown } from "./shutdown.ts";

/** A caller with no key (a JWT's): only the open requests are watched. */
const jwtCaller: Principal = {
  keyId: null,
  name: "bob",
  tenant: "default",
  role: "user",
  models: ["*"],
  limits: {},
  via: "jwt",
};

test("aborts with the first reason, once: the client's (when polled), or one given to abort()", () => {
  const client = new AbortController();
  const abort = new RequestAbort(client.signal);
  const seen: unknown[] = [];
  abort.signal.addEventListener("abort", () => seen.push(abort.signal.reason));
  abort.abort(new Error("revoked first"));
  client.abort(new Error("client later"));
  expect(seen).toHaveLength(1);
  expect((seen[0] as Error).message).toBe("revoked first");

  const leaving = new AbortController();
  const followed = new RequestAbort(leaving.signal);
  leaving.abort("gone");
  // No listener on the client's signal: its leaving is seen when the open requests' poll asks.
  expect(followed.aborted).toBe(false);
  followed.clientPolled();
  expect(followed.signal.reason).toBe("gone");
});

test("a client signal aborted already aborts it at once; after release, the client no longer reaches it", () => {
  const done = new AbortController();
  done.abort("gone");
  expect(new RequestAbort(done.signal).signal.reason).toBe("gone");
  const open = new Shutdown();
  const later = new AbortController();
  const abort = new RequestAbort(later.signal);
  abort.watch(open, undefined, jwtCaller);
  abort.release();
  later.abort("too late");
  // Released: neither the poll nor a stop reaches it.
  open.endAll(unavailable("stopping"));
  expect(abort.signal.aborted).toBe(false);
});

test("a request released after its client left still tells its followers (a stream's cancel comes first)", () => {
  // Bun aborts the request's signal, then cancels the response body, whose end releases the
  // request before any poll came by: a kept-alive stream's dispatch must still hear it.
  const client = new AbortController();
  const abort = new RequestAbort(client.signal);
  const heard: unknown[] = [];
  abort.follow({ handleEvent: () => heard.push(abort.reason) });
  client.abort("left");
  abort.release();
  expect(heard).toEqual(["left"]);
});

test("a client that leaves a pending request is noticed by the poll, with no listener on its signal", async () => {
  // What the front door does: a request abort watched by the open requests, released at the
  // end. The handler waits on the abort alone; without the poll it would never end.
  const open = new Shutdown();
  const ended: unknown[] = [];
  let listening = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const signal = request.signal;
      const add = signal.addEventListener.bind(signal);
      signal.addEventListener = (...args: Parameters<AbortSignal["addEventListener"]>) => {
        listening++;
        add(...args);
      };
      const abort = new RequestAbort(signal);
      abort.watch(open, undefined, jwtCaller);
      return new Promise<Response>((resolve) =>
        abort.follow({
          handleEvent: () => {
            ended.push((abort.reason as Error).name);
            abort.release();
            resolve(new Response("gone"));
          },
        }),
      );
    },
  });
  try {
    const client = new AbortController();
    const leaving = fetch(`http://127.0.0.1:${server.port}/`, { signal: client.signal }).catch(() => "left");
    await waitFor("the request to be open", () => open.polling);
    client.abort();
    expect(await leaving).toBe("left");
    await waitFor("the poll to see the client leave", () => ended.length === 1);
    expect(ended).toEqual(["AbortError"]);
    expect(listening).toBe(0);
    // Nothing open: the poll stops after its next tick, and an idle server wakes for nothing.
    await waitFor("the poll to stop", () => !open.polling);
  } finally {
    await server.stop(true);
  }
});

test("per-request aborts with listeners are not kept alive by the server's request signals", async () => {
  // What the front door does per request: follow the request's signal with a controller of its
  // own, listen on it, and hold the body. None of it may outlive the request.
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const body = new Uint8Array(await request.arrayBuffer());
      const abort = new RequestAbort(request.signal);
      abort.signal.addEventListener("abort", () => body.byteLength, { once: true });
      const response = new Response(String(body.byteLength));
      abort.release();
      return response;
    },
  });
  try {
    const count = () => {
      Bun.gc(true);
      return (heapStats().objectTypeCounts as Record<string, number>).AbortSignal ?? 0;
    };
    const before = count();
    const url = `http://127.0.0.1:${server.port}/`;
    for (let round = 0; round < 20; round++) {
      await Promise.all(
        Array.from({ length: 50 }, () =>
          fetch(url, { method: "POST", body: "x".repeat(64) }).then((r) => r.text()),
        ),
      );
    }
    // 1,000 requests; with AbortSignal.any in Bun 1.4 about 2,000 signals stayed behind.
    expect(count() - before).toBeLessThan(200);
  } finally {
    await server.stop(true);
  }
});

test("followers hear the abort after the signal has aborted, once each; an unfollowed one does not", () => {
  const client = new AbortController();
  const abort = new RequestAbort(client.signal);
  const heard: string[] = [];
  const first = { handleEvent: () => heard.push(`first ${abort.signal.aborted}`) };
  const second = { handleEvent: () => heard.push(`second ${abort.signal.aborted}`) };
  const gone = { handleEvent: () => heard.push("gone") };
  abort.follow(first);
  abort.follow(gone);
  abort.follow(second);
  abort.unfollow(gone);
  client.abort(new Error("client left"));
  abort.clientPolled();
  abort.abort(new Error("later"));
  expect(heard).toEqual(["first true", "second true"]);
  expect((abort.signal.reason as Error).message).toBe("client left");
  abort.release();
});

test("no signal of its own is made unless asked for; one asked for after the abort is aborted already", () => {
  const client = new AbortController();
  const abort = new RequestAbort(client.signal);
  const heard: unknown[] = [];
  abort.follow({ handleEvent: () => heard.push(abort.reason) });
  const made = () =>
    (abort as unknown as { controller: AbortController | undefined }).controller !== undefined;
  abort.abort("key revoked");
  expect(made()).toBe(false);
  expect(abort.aborted).toBe(true);
  expect(heard).toEqual(["key revoked"]);
  expect(abort.signal.aborted).toBe(true);
  expect(abort.signal.reason).toBe("key revoked");
  abort.release();
});

test("a request whose JWT expires ends saying the token expired; a key's, that the API key did", () => {
  let now = 0;
  const timers: (() => void)[] = [];
  const sessions = new KeySessions({
    now: () => now,
    setTimer: (run) => {
      timers.push(run);
      return { cancel() {} };
    },
  });
  const watched = (principal: Principal) => {
    const abort = new RequestAbort(new AbortController().signal);
    abort.watch(undefined, sessions, principal);
    return abort;
  };
  const key = { ...jwtCaller, keyId: "key_1", via: "key" as const };
  const ends = [watched({ ...jwtCaller, expiresAt: 10 }), watched({ ...key, expiresAt: 10 })];
  // One whose credential has expired already by then ends at once, in the same words.
  ends.push(watched({ ...jwtCaller, expiresAt: 0 }));
  now = 10;
  for (const run of timers) run();
  expect(ends.map((ended) => (ended.reason as GatewayError).message)).toEqual([
    "the token expired during the request",
    "the API key expired during the request (its expiry passed, or the grace after a rotation ended)",
    "the token expired during the request",
  ]);
});

describe("a client that leaves while an upstream reads its prompt is charged the prompt", () => {
  // Fake OpenAI and Anthropic servers that hold every call until the test is over, as a slow model
  // does (but refuse at once what is sent to a `refuse-*` model); the vendor bills the prompt it
  // read whether or not the client waits for the answer.
  let upstream: ReturnType<typeof Bun.serve>;
  let gateway: Gateway;
  let gatewayUrl = "";
  let adminKey = "";
  let finished: AuditRecord[] = [];
  /** The records a test has read already. */
  const taken = new Set<AuditRecord>();
  let dir = "";
  const held: (() => void)[] = [];

  beforeAll(async () => {
    upstream = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(request) {
        const { model } = (await request.json()) as { model?: string };
        if (model?.startsWith("refuse-")) return Response.json({ error: { message: "no" } }, { status: 500 });
        await new Promise<void>((resolve) => held.push(resolve));
        return Response.json({ error: { message: "the test is over" } }, { status: 500 });
      },
    });
    dir = mkdtempSync(join(tmpdir(), "mindgw-left-"));
    const base = `http://127.0.0.1:${upstream.port}`;
    const config = parseConfig({
      ...EMBEDDED_DEFAULTS,
      storage: { path: join(dir, "gw.db") },
      providers: [
        { name: "oa", type: "openai", base_url: `${base}/v1`, api_key: "k" },
        { name: "an", type: "anthropic", base_url: base, api_key: "k" },
      ],
      models: [
        { name: "m-oa", routes: [{ provider: "oa", model: "gpt-x" }] },
        { name: "m-an", routes: [{ provider: "an", model: "claude-x" }] },
        // Sixteen routes that refuse before the one that reads the prompt: seventeen attempts,
        // one more than an audit row lists.
        {
          name: "m-many",
          routes: [
            ...Array.from({ length: MAX_AUDIT_ATTEMPTS }, (_, i) => ({
              provider: "oa",
              model: `refuse-${i}`,
            })),
            { provider: "oa", model: "gpt-x" },
          ],
        },
      ],
      prices: { "m-*": { input_per_mtok: 2, output_per_mtok: 10 } },
      // A stream whose first token is slow is answered with keep-alive comments at once.
      routing: { retries: 0, stream_keepalive: "10ms" },
    });
    ({ gateway, adminKey, finished } = await recordingGateway(config));
    gatewayUrl = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
  });

  afterAll(async () => {
    for (const release of held) release();
    await gateway.stop();
    await upstream.stop(true);
    rmSync(dir, { recursive: true, force: true });
  });

  const body = (model: string, stream = false) => ({
    model,
    stream,
    max_tokens: 100,
    messages: [{ role: "user", content: "x".repeat(40_000) }],
  });

  /** Sends the call, leaves once the upstream has it (after the head, when `head`), and returns its record. */
  async function leftMidCall(path: string, sent: object, head = false): Promise<AuditRecord> {
    const before = held.length;
    const leaving = new AbortController();
    const call = fetch(`${gatewayUrl}${path}`, {
      method: "POST",
      signal: leaving.signal,
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify(sent),
    });
    const response = head ? await call : undefined;
    await waitFor("the upstream to have the call", () => held.length > before);
    leaving.abort();
    await (response ? response.text() : call).catch(() => {});
    const id = response?.headers.get("x-request-id");
    const record = await waitForValue("the call's record", () =>
      finished.find(
        (row) => row.status === 499 && !taken.has(row) && (id === undefined || row.requestId === id),
      ),
    );
    taken.add(record);
    return record;
  }

  const prompt = estimatedPromptTokens(body("m-oa"));
  const charged = { status: 499, inputTokens: prompt, outputTokens: 0, costUsd: (prompt * 2) / 1e6 };

  test("a whole answer never waited for: the prompt's estimate, in both dialects", async () => {
    expect(prompt).toBeGreaterThanOrEqual(10_000);
    const openai = await leftMidCall("/v1/chat/completions", body("m-oa"));
    expect(openai).toMatchObject({ ...charged, errorClass: "client_closed", route: "provider:oa" });
    const anthropic = await leftMidCall("/v1/messages", body("m-an"));
    expect(anthropic).toMatchObject({ ...charged, route: "provider:an" });
  });

  test("a stream left before its first token, its head sent with keep-alive comments: the same", async () => {
    expect(await leftMidCall("/v1/chat/completions", body("m-oa", true), true)).toMatchObject(charged);
  });

  test("a prompt of token ids counts each id as a token, as a whole answer's estimate does", async () => {
    const ids = Array.from({ length: 4000 }, (_, i) => i);
    const record = await leftMidCall("/v1/embeddings", { model: "m-oa", input: [ids, ids] });
    expect(record).toMatchObject({ status: 499, inputTokens: 8000, costUsd: (8000 * 2) / 1e6 });
  });

  test("however many attempts came before: the last one's prompt, though the audit row lists sixteen", async () => {
    const record = await leftMidCall("/v1/chat/completions", body("m-many"));
    expect(record).toMatchObject(charged);
    expect(record.attempts).toHaveLength(MAX_AUDIT_ATTEMPTS);
    expect(record.attempts?.every((attempt) => attempt.outcome === "failed")).toBe(true);
  });

  test("count_tokens is never billed: a client that leaves a count pays nothing", async () => {
    const { max_tokens: _, stream: __, ...count } = body("m-an");
    const record = await leftMidCall("/v1/messages/count_tokens", count);
    expect(record).toMatchObject({ status: 499, inputTokens: 0, costUsd: 0 });
  });
});

describe("a client that leaves before an upstream read its prompt owes nothing for it", () => {
  // An upstream that takes the connection and never reads (hung, or its listen queue all it
  // does), and one that refuses every call at once; the gateway on the lean upstream client,
  // which says when a request is written whole (the default on few cores, chosen here on any).
  let mute: TCPSocketListener;
  let refusing: ReturnType<typeof Bun.serve>;
  let gateway: Gateway;
  let gatewayUrl = "";
  let adminKey = "";
  let finished: AuditRecord[] = [];
  let dir = "";
  let connections = 0;
  const logged: string[] = [];
  /** More than the kernel's buffers hold of a request no one reads (its send buffer at most). */
  const promptChars = Math.max(3 * sendBufferMax(), 16 * 1024 * 1024);

  beforeAll(async () => {
    mute = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(socket) {
          connections++;
          socket.pause();
        },
        data() {},
      },
    });
    refusing = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => Response.json({ error: { message: "overloaded" } }, { status: 500 }),
    });
    dir = mkdtempSync(join(tmpdir(), "mindgw-unread-"));
    const config = parseConfig({
      ...EMBEDDED_DEFAULTS,
      storage: { path: join(dir, "gw.db") },
      server: { max_body: `${Math.ceil(promptChars / 1024 / 1024) + 1}MB` },
      providers: [
        { name: "mute", type: "openai", base_url: `http://127.0.0.1:${mute.port}/v1`, api_key: "k" },
        { name: "rf", type: "openai", base_url: `http://127.0.0.1:${refusing.port}/v1`, api_key: "k" },
      ],
      models: [
        { name: "m-mute", routes: [{ provider: "mute", model: "gpt-x" }] },
        { name: "m-refused", routes: [{ provider: "rf", model: "gpt-x" }] },
      ],
      prices: { "m-*": { input_per_mtok: 2, output_per_mtok: 10 } },
      // A retry waits long enough for the client to leave during it.
      routing: { retries: 1, backoff: "10m" },
    });
    const client = process.env.MINDGW_UPSTREAM_CLIENT;
    process.env.MINDGW_UPSTREAM_CLIENT = "lean";
    const log = (message: string) => void logged.push(message);
    try {
      ({ gateway, adminKey, finished } = await recordingGateway(config, {
        debug() {},
        info() {},
        warn: log,
        error: log,
      }));
    } finally {
      if (client === undefined) delete process.env.MINDGW_UPSTREAM_CLIENT;
      else process.env.MINDGW_UPSTREAM_CLIENT = client;
    }
    gatewayUrl = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
  });

  afterAll(async () => {
    await gateway.stop();
    mute.stop(true);
    await refusing.stop(true);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends the call, leaves once `ready` holds, and returns its record. */
  async function leftWhen(model: string, chars: number, ready: () => boolean): Promise<AuditRecord> {
    const leaving = new AbortController();
    const call = fetch(`${gatewayUrl}/v1/chat/completions`, {
      method: "POST",
      signal: leaving.signal,
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        model,
        max_tokens: 100,
        messages: [{ role: "user", content: "x".repeat(chars) }],
      }),
    });
    await waitFor(`${model}'s call to be where the test leaves it`, ready);
    leaving.abort();
    await call.catch(() => {});
    return waitForValue(`${model}'s record`, () => finished.find((row) => row.model === model));
  }

  test("an upstream that never read the request whole (it stopped reading): no prompt charged", async () => {
    const record = await leftWhen("m-mute", promptChars, () => connections > 0);
    // The attempt was out, its connection open, its request part written: no vendor bills that.
    expect(record).toMatchObject({ status: 499, inputTokens: 0, outputTokens: 0, costUsd: 0 });
    // Ended by the client's leaving, as the attempts the prompt is charged for are.
    expect(record.attempts?.map((attempt) => [attempt.outcome, attempt.errorClass])).toEqual([
      ["failed", "client_closed"],
    ]);
  });

  test("a retry's backoff, after an attempt the upstream refused: nothing charged", async () => {
    const record = await leftWhen("m-refused", 40_000, () => logged.includes("route failed"));
    expect(record).toMatchObject({ status: 499, inputTokens: 0, outputTokens: 0, costUsd: 0 });
    expect(record.attempts?.map((attempt) => attempt.outcome)).toEqual(["failed"]);
  });
});

/** The most a socket's send buffer grows to (Linux's `tcp_wmem`), 4 MB where it cannot be read. */
function sendBufferMax(): number {
  try {
    const most = Number(readFileSync("/proc/sys/net/ipv4/tcp_wmem", "utf8").trim().split(/\s+/)[2]);
    return Number.isFinite(most) && most > 0 ? most : 4 * 1024 * 1024;
  } catch {
    return 4 * 1024 * 1024;
  }
}
