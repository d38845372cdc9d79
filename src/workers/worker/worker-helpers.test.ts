import { describe, expect, test } from "bun:test";
import { holdCredentials } from "../../core/credentials.ts";
import { freePort } from "../../testing/free-port.ts";
import { heldClocks } from "../../testing/stepped-clocks.ts";
import { chunkBytes, chunkId, encodeChunk, MAX_REQUEST_ID } from "../chunk-frame.ts";
import { modelMatcher } from "../gateway/model-allow-list.ts";
import { backoffDelay } from "./backoff.ts";
import { connectFailure, upgradeStatus } from "./connect-failure.ts";
import { toConnectUrl } from "./connect-url.ts";
import { discoverModels, listingFailed, NoModelList } from "./discover-models.ts";
import { FailureLog } from "./failure-log.ts";
import { offerable, withDefaultTagsLeftOff } from "./model-offer.ts";
import { responsesProbeOf } from "./probe-responses-api.ts";
import { refusalOf } from "./probe-upgrade.ts";
import { registerFrame, registerProblem } from "./register-frame.ts";
import { toUpstreamBase } from "./upstream-base.ts";
import { chunkBytesFor, upstreamUrlOf } from "./upstream-call.ts";
import { workerLeanMode } from "./worker-lean-mode.ts";

describe("worker helpers", () => {
  test("--connect becomes the endpoint's WebSocket URL", () => {
    expect(toConnectUrl("https://gw.example.com").href).toBe("wss://gw.example.com/workers/connect");
    expect(toConnectUrl("http://127.0.0.1:8080/").href).toBe("ws://127.0.0.1:8080/workers/connect");
    expect(toConnectUrl("wss://gw/prefix/workers/connect").href).toBe("wss://gw/prefix/workers/connect");
    expect(() => toConnectUrl("wss://gw/?token=abc")).toThrow();
    expect(() => toConnectUrl("ftp://gw")).toThrow();
  });

  test("--upstream is an http(s) URL, its trailing slashes dropped; anything else is refused, saying what it was", () => {
    expect(toUpstreamBase("http://127.0.0.1:8000/v1/")).toBe("http://127.0.0.1:8000/v1");
    expect(toUpstreamBase("https://models.internal/v1")).toBe("https://models.internal/v1");
    expect(() => toUpstreamBase("127.0.0.1:18701/v1")).toThrow(
      "--upstream: 127.0.0.1:18701/v1 names no scheme (http:// or https://): give the model server's URL with /v1 (http://127.0.0.1:8000/v1)",
    );
    // Which a URL parser would take for the scheme `localhost:`.
    expect(() => toUpstreamBase("localhost:8000/v1")).toThrow("names no scheme");
    expect(() => toUpstreamBase("notaurl")).toThrow("--upstream: notaurl names no scheme");
    expect(() => toUpstreamBase("http://")).toThrow("--upstream: not a URL: http://");
    expect(() => toUpstreamBase("ws://gpu:8000/v1")).toThrow("not ws://");
    expect(() => toUpstreamBase("http://gpu:8000/v1?key=x")).toThrow("no query string");
  });

  test("a connect that failed is said by its system code and what it means, else by Bun's message", () => {
    const failed = (error: unknown, message: string) =>
      connectFailure(new ErrorEvent("error", { error, message }));
    const bun = "WebSocket connection to 'ws://gw/workers/connect' failed: ";
    // The gateway's words for its own upstreams', one table (core/why-unreachable.ts).
    expect(failed({ code: "ENOTFOUND" }, `${bun}Failed to connect`)).toBe("DNS lookup failed (ENOTFOUND)");
    expect(failed({ code: "ECONNRESET" }, `${bun}Failed to connect`)).toBe(
      "connection closed before any answer (ECONNRESET)",
    );
    expect(failed({ code: "EWHATEVER" }, `${bun}Failed to connect`)).toBe("request failed (EWHATEVER)");
    expect(failed(undefined, `${bun}Expected 101 status code: 200`)).toBe("Expected 101 status code: 200");
    expect(connectFailure(new Event("error"))).toBe("no reason given");
  });

  test("the status an upgrade was answered with instead of 101 is read from Bun's message, when it names one", () => {
    const bun = "WebSocket connection to 'ws://gw/workers/connect' failed: ";
    const status = (message: string) => upgradeStatus(new ErrorEvent("error", { message }));
    expect(status(`${bun}Expected 101 status code: 401`)).toBe(401);
    expect(status(`${bun}Expected 101 status code`)).toBeUndefined();
    expect(status(`${bun}Failed to connect`)).toBeUndefined();
    expect(upgradeStatus(new Event("error"))).toBeUndefined();
  });

  test("a fixed path's upstream URL is kept and reused; a stored response's (an id) is not kept", () => {
    const ctx = { base: "http://up/v1", urls: new Map<string, string>() };
    const first = upstreamUrlOf(ctx, "/chat/completions");
    expect(first).toBe("http://up/v1/chat/completions");
    expect(upstreamUrlOf(ctx, "/chat/completions")).toBe(first);
    for (let n = 0; n < 100; n++)
      expect(upstreamUrlOf(ctx, `/responses/resp_${n}`)).toBe(`http://up/v1/responses/resp_${n}`);
    expect([...ctx.urls.keys()]).toEqual(["/chat/completions"]);
  });

  test("the worker's upstream calls take the lean client unless MINDGW_UPSTREAM_CLIENT says otherwise", () => {
    expect(workerLeanMode({})).toBe("all");
    expect(workerLeanMode({ MINDGW_UPSTREAM_CLIENT: "lean" })).toBe("all");
    expect(workerLeanMode({ MINDGW_UPSTREAM_CLIENT: "fetch" })).toBe("overflow");
    expect(workerLeanMode({ MINDGW_UPSTREAM_CLIENT: "auto" })).toBe("auto");
  });

  test("backoff grows exponentially up to the cap, with full jitter", () => {
    const top = { baseMs: 100, capMs: 1_000, random: () => 0.999999 };
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, top))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(5, { ...top, random: () => 0 })).toBe(0);
  });

  test("a chunk frame carries the id and the bytes as they were, split or not", () => {
    const bytes = new TextEncoder().encode("data: é😀\n\n");
    const frame = encodeChunk(MAX_REQUEST_ID, bytes);
    expect(frame.byteLength).toBe(bytes.byteLength + 5);
    expect(chunkId(frame)).toBe(MAX_REQUEST_ID);
    expect(chunkBytes(frame)).toEqual(bytes);
    // Half a character in one frame, the rest in the next: the bytes travel untouched.
    const first = encodeChunk(7, bytes.subarray(0, 8));
    const second = encodeChunk(7, bytes.subarray(8));
    expect([chunkId(first), chunkId(second)]).toEqual([7, 7]);
    expect(Buffer.concat([chunkBytes(first), chunkBytes(second)])).toEqual(Buffer.from(bytes));
    expect(chunkId(new Uint8Array([1, 0, 0]))).toBe(-1);
    expect(chunkId(new Uint8Array([2, 0, 0, 0, 1, 65]))).toBe(-1);
  });

  test("model allow-lists are globs; an empty list permits nothing", () => {
    const match = modelMatcher(["llama-*", "qwen2.5-7b"]);
    expect(["llama-3", "qwen2.5-7b", "qwen2x5-7b", "gpt-4"].map(match)).toEqual([true, true, false, false]);
    expect(modelMatcher([])("x")).toBe(false);
    expect(modelMatcher(["*"])("anything")).toBe(true);
  });
});

test("chunk frames fit the gateway's message limit, header included", () => {
  for (const limit of [4 * 1024, 64 * 1024, 1024 * 1024]) {
    const piece = new Uint8Array(chunkBytesFor(limit));
    expect(encodeChunk(1, piece).byteLength).toBeLessThanOrEqual(limit);
  }
});

test("the Responses probe: no endpoint, the endpoint, or no telling", () => {
  for (const status of [404, 405, 501]) expect(responsesProbeOf(status)).toBe("absent");
  for (const status of [400, 422]) expect(responsesProbeOf(status)).toBe("served");
  // A lenient server answers the empty request with a Responses object.
  expect(responsesProbeOf(200, { id: "resp_1", object: "response", output: [], error: null })).toBe("served");
  expect(responsesProbeOf(201, { id: "resp_1", output: [] })).toBe("served");
  // An upstream that refuses the key, or fails, says nothing about the endpoint: asked again later.
  for (const status of [401, 403, 429, 500, 503]) expect(responsesProbeOf(status)).toBe("unknown");
});

test("the Responses probe: a 2xx that is not a Responses object is no endpoint (LM Studio's 200 error)", () => {
  const lmStudio = { error: "Unexpected endpoint or method. (POST /v1/responses)" };
  expect(responsesProbeOf(200, lmStudio)).toBe("absent");
  expect(responsesProbeOf(200, { error: { message: "no" }, object: "response" })).toBe("absent");
  expect(responsesProbeOf(200, { object: "chat.completion" })).toBe("absent");
  // Not JSON at all (an HTML page), or nothing.
  expect(responsesProbeOf(200, undefined)).toBe("absent");
  expect(responsesProbeOf(204)).toBe("absent");
});

test("a register frame the gateway's schema would refuse is named by the flag it came from", () => {
  const fine = { name: "gpu-1", version: "1.0.0", models: ["m"], concurrency: 8, labels: { zone: "a" } };
  expect(registerProblem(registerFrame(fine))).toBeUndefined();
  expect(registerProblem(registerFrame({ ...fine, name: "n".repeat(129) }))).toBe(
    "--name: at most 128 characters",
  );
  expect(registerProblem(registerFrame({ ...fine, name: "gpu@rack3" }))).toBe(
    "--name: must not hold an @ (a worker on another node is named <name>@<node>)",
  );
  expect(registerProblem(registerFrame({ ...fine, labels: { note: "v".repeat(257) } }))).toBe(
    "--label note: at most 256 characters",
  );
  expect(registerProblem(registerFrame({ ...fine, labels: { ["k".repeat(129)]: "v" } }))).toStartWith(
    `--label ${"k".repeat(40)}: its key: at most 128 characters`,
  );
  // A range as every flag says it (core/zod-words.ts), not zod's "Too big: …".
  expect(registerProblem(registerFrame({ ...fine, concurrency: 100_001 }))).toBe(
    "--concurrency: at most 100000",
  );
  expect(registerProblem(registerFrame({ ...fine, models: ["m".repeat(257)] }))).toBe(
    "--models: at most 256 characters",
  );
  expect(registerProblem(registerFrame({ ...fine, name: "" }))).toBe("--name: empty");
});

test("discovered model ids a register cannot carry are skipped, the rest offered in order", () => {
  const gguf = `/srv/models/${"Meta-Llama-3.1-70B-Instruct/".repeat(10)}model-Q4_K_M.gguf`;
  const { offered, skipped } = offerable(["qwen", gguf, "llama"]);
  expect(offered).toEqual(["qwen", "llama"]);
  expect(skipped).toEqual([{ model: gguf, problem: "Too big: expected string to have <=256 characters" }]);
  const many = Array.from({ length: 1002 }, (_, n) => `m${n}`);
  expect(offerable(many).offered).toEqual(many.slice(0, 1000));
  expect(offerable(many).skipped.map((s) => s.model)).toEqual(["m1000", "m1001"]);
});

test("the upgrade probe: a refused token ends the worker; no endpoint, a redirect or a proxy are said and retried", () => {
  const url = new URL("ws://gw:8080/workers/connect");
  expect(refusalOf(101, url)).toBeUndefined();
  expect(refusalOf(401, url)).toMatchObject({ final: true, message: expect.stringContaining("--token") });
  expect(refusalOf(403, url)).toMatchObject({
    final: true,
    message: expect.stringContaining("worker or admin role"),
  });
  expect(refusalOf(404, url)).toEqual({
    status: 404,
    final: false,
    message:
      "no worker endpoint at ws://gw:8080/workers/connect (404): check that workers.enabled is on in the gateway's config and that --connect is right",
  });
  expect(refusalOf(301, url)?.message).toContain("a redirect");
  expect(refusalOf(426, url)?.message).toContain("proxy");
  expect(refusalOf(502, url)).toMatchObject({ final: false, message: expect.stringContaining("failing") });
});

test("the worker logs its upstream's failures: at most one line per code every 5 s, counting the rest, no credentials", () => {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  let now = 1_000_000;
  const failures = new FailureLog(
    "http://user:secret@10.0.0.5:8000/v1?key=k",
    (level, message, fields) => lines.push({ level, message, ...(fields ? { fields } : {}) }),
    () => now,
  );
  const failure = (
    requestId: string,
    code: "upstream_unreachable" | "upstream_broken" = "upstream_unreachable",
  ) => ({
    code,
    message:
      code === "upstream_broken" ? "the upstream broke off its answer" : "could not reach the upstream",
    requestId,
    path: "/chat/completions",
    error: new Error("Unable to connect"),
  });
  failures.failed(failure("r1"));
  failures.failed(failure("r2"));
  failures.failed(failure("r3"));
  failures.failed(failure("r4", "upstream_broken"));
  now += 5_000;
  failures.failed(failure("r5"));
  expect(lines).toEqual([
    {
      level: "warn",
      message: "could not reach the upstream",
      fields: {
        code: "upstream_unreachable",
        request_id: "r1",
        upstream: "http://10.0.0.5:8000/v1/chat/completions",
        error: "Error: Unable to connect",
      },
    },
    {
      level: "warn",
      message: "the upstream broke off its answer",
      fields: expect.objectContaining({ code: "upstream_broken", request_id: "r4" }),
    },
    {
      level: "warn",
      message: "could not reach the upstream",
      fields: expect.objectContaining({ request_id: "r5", suppressed: 2 }),
    },
  ]);
  expect(JSON.stringify(lines)).not.toContain("secret");
});

test("a step back of the worker's wall clock (NTP, a VM resumed) holds its failure lines back 5 s, not for the step", () => {
  const clocks = heldClocks(Date.UTC(2025, 0, 1));
  try {
    const lines: string[] = [];
    const failures = new FailureLog("http://10.0.0.5:8000/v1", (_level, message) => lines.push(message));
    const failure = {
      code: "upstream_unreachable",
      message: "could not reach the upstream",
      requestId: "r1",
      path: "/chat/completions",
      error: new Error("Unable to connect"),
    } as const;
    failures.failed(failure);
    clocks.step(-600_000);
    clocks.pass(5_000);
    failures.failed(failure);
    expect(lines).toEqual(["could not reach the upstream", "could not reach the upstream"]);
  } finally {
    clocks.restore();
  }
});

test("the worker's failure line never writes its --upstream-key, should its upstream's error quote it", () => {
  const key = "workerUpstreamKey_0a1b2c3d4e5f";
  const holder = {};
  holdCredentials(holder, [key]);
  try {
    const lines: unknown[] = [];
    const failures = new FailureLog("http://10.0.0.5:8000/v1", (_level, _message, fields) =>
      lines.push(fields),
    );
    failures.failed({
      code: "upstream_broken",
      message: "the upstream broke off its answer",
      requestId: "r1",
      path: "/chat/completions",
      error: new Error(`stream reset for key ${key}`),
    });
    expect(lines).toEqual([expect.objectContaining({ error: "Error: stream reset for key [redacted]" })]);
  } finally {
    holdCredentials(holder, []);
  }
});

test("a listing that failed says why, and keeps the runtime's words only where they say more: a timeout, an answer that is no list, a refused connection", async () => {
  const silent = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Promise<Response>(() => {}) });
  try {
    // A timeout as fetch throws it (a DOMException TimeoutError), here after 20 ms, not 10 s.
    const timedOut = await fetch(silent.url, { signal: AbortSignal.timeout(20) }).catch((e: unknown) => e);
    expect(listingFailed(timedOut)).toEqual({
      message: "could not list the upstream's models: it did not answer in 10 s",
    });
  } finally {
    await silent.stop(true);
  }
  expect(listingFailed(new NoModelList("it answered 503"))).toEqual({
    message: "could not list the upstream's models: it answered 503",
  });
  const base = `http://127.0.0.1:${freePort()}`;
  const refused = await discoverModels(base, undefined, new AbortController().signal).catch(
    (e: unknown) => e,
  );
  expect(listingFailed(refused)).toEqual({
    message: "could not list the upstream's models: connection refused (ECONNREFUSED)",
    detail: String(refused),
  });
});

test("a listing answered 404 at an --upstream without /v1 (Ollama's own address) says /v1 is missing", async () => {
  // Ollama and vLLM serve the OpenAI API, /v1/models included, only under /v1.
  const ollama = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request) =>
      new URL(request.url).pathname === "/v1/models"
        ? Response.json({ object: "list", data: [{ id: "llama3.1:latest", object: "model" }] })
        : new Response("404 page not found", { status: 404 }),
  });
  try {
    const root = ollama.url.href.replace(/\/$/, "");
    const listed = (base: string) =>
      discoverModels(base, undefined, new AbortController().signal).catch((e: unknown) => listingFailed(e));
    expect(await listed(root)).toEqual({
      message:
        "could not list the upstream's models: it answered 404: --upstream has no /v1, under which vLLM, Ollama, TGI and LM Studio serve the OpenAI API",
    });
    expect(await listed(`${root}/v1`)).toEqual(["llama3.1:latest"]);
    // With /v1 given, a 404 says no more than the status.
    expect(await listed(`${root}/v2/v1`)).toEqual({
      message: "could not list the upstream's models: it answered 404",
    });
  } finally {
    await ollama.stop(true);
  }
});

test("an Ollama model is offered by its name with and without its default tag, the short names after every listed id, one only where no model has that name", () => {
  expect(
    withDefaultTagsLeftOff(["llama3.1:latest", "qwen3:8b", "mistral", "mistral:latest", ":latest"]),
  ).toEqual(["llama3.1:latest", "qwen3:8b", "mistral", "mistral:latest", ":latest", "llama3.1"]);
  // Past the most a worker offers, the short names are what is given up, never a listed model.
  const many = Array.from({ length: 1000 }, (_, i) => `m${i}:latest`);
  const { offered, skipped } = offerable(withDefaultTagsLeftOff(many));
  expect(offered).toEqual(many);
  expect(skipped.map((s) => s.model)).toEqual(many.map((id) => id.slice(0, -":latest".length)));
});
