import { describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { chatCompletion } from "../../src/testing/answer-wire.ts";
import { createKey } from "./harness/admin-api.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { parsePrometheus, sampleValue } from "./harness/prometheus-text.ts";
import { openaiFailure } from "./harness/sdk-failure.ts";

// A 404 that no API answered (core/upstream-fault.ts `path`), apart from error-fidelity.test.ts:
// each test starts its own gateway on the servers it needs, so no shared gateway is started.
const fx = gatewayFixture({ fake: null, gateway: false });

describe("a 404 that no API answered: an operation the route's server lacks, or a wrong base_url", () => {
  /** A loopback server answering `answer`, each path asked noted in `paths`, stopped after the test. */
  function served(answer: (request: Request, pathname: string) => Response | Promise<Response>) {
    const paths: string[] = [];
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(request) {
        const { pathname } = new URL(request.url);
        paths.push(pathname);
        return answer(request, pathname);
      },
    });
    fx.deferTest(() => server.stop(true));
    return { server, paths };
  }

  /** The model a call's JSON body names. */
  const modelOf = async (request: Request) => ((await request.json()) as { model: string }).model;

  /**
   * A vLLM serving a generative model: it registers its chat routes and no /v1/embeddings
   * (vllm/entrypoints/openai/api_server.py `build_app`: the pooling routes only for a pooling
   * model, the generate ones only for a generative one), so FastAPI answers an embeddings call, or
   * any path it lacks, with its own 404 `{"detail":"Not Found"}`. A chat call served.
   */
  const chatOnlyVllm = () =>
    served(async (request, pathname) =>
      pathname === "/v1/chat/completions"
        ? Response.json(chatCompletion(await modelOf(request), "served by vllm"))
        : Response.json({ detail: "Not Found" }, { status: 404 }),
    );

  /** An embeddings server (OpenAI's embeddings answer), for the model's second route. */
  const embedder = () =>
    served(async (request) =>
      Response.json({
        object: "list",
        data: [{ object: "embedding", index: 0, embedding: [0.25, -0.5] }],
        model: await modelOf(request),
        usage: { prompt_tokens: 1, total_tokens: 1 },
      }),
    ).server;

  test("embeddings asked of a chat-only vLLM: failed over at once, and never the route's breaker, so its chat callers are served after more of them than its threshold", async () => {
    const vllm = chatOnlyVllm();
    const embeds = embedder();
    const own = await fx.spawn({
      config: {
        providers: [
          { name: "vllm", type: "openai", base_url: `${vllm.server.url}v1` },
          { name: "embedder", type: "openai", base_url: `${embeds.url}v1` },
        ],
        models: [
          { name: "llama", routes: [{ provider: "vllm", model: "llama" }] },
          {
            name: "llama-or-embedder",
            routes: [
              { provider: "vllm", model: "llama-b" },
              { provider: "embedder", model: "bge" },
            ],
          },
        ],
        // Retries left for the same route: such a 404 is not sent it again.
        routing: { retries: 2, circuit_breaker: { failures: 2, cooldown: "10m" } },
      },
    });
    const client = async (name: string) =>
      new OpenAI({ baseURL: `${own.url}/v1`, apiKey: (await createKey(own, { name })).key, maxRetries: 0 });
    const prober = await client("embeddings-caller");
    for (let i = 0; i < 4; i++) {
      const error = await openaiFailure(prober.embeddings.create({ model: "llama", input: "x" }));
      expect([i, error.status, error.code, error.message]).toEqual([
        i,
        502,
        "upstream_error",
        "502 upstream vllm answered 404: no route for the call's path there (an operation it does not serve, or a wrong base_url)",
      ]);
      expect(error.headers?.get("x-should-retry")).toBe("false");
    }
    // Each asked once: not sent again, whatever retries are left.
    expect(vllm.paths).toEqual(Array(4).fill("/v1/embeddings"));
    const chatCaller = await client("chat-caller");
    const served = await chatCaller.chat.completions.create({
      model: "llama",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(served.choices[0]?.message.content).toBe("served by vllm");
    // Another route serves the operation: the caller is answered by it, the vLLM asked once.
    vllm.paths.length = 0;
    for (let i = 0; i < 3; i++) {
      const embedded = await prober.embeddings.create({ model: "llama-or-embedder", input: "x" });
      expect(embedded.data[0]?.embedding).toEqual([0.25, -0.5]);
    }
    expect(vllm.paths).toEqual(Array(3).fill("/v1/embeddings"));
    const chatted = await chatCaller.chat.completions.create({
      model: "llama-or-embedder",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(chatted.choices[0]?.message.content).toBe("served by vllm");
  });

  /**
   * A chat-only API that answers a path it has none for in OpenAI's error shape: Groq's 404
   * `unknown_url` ("Unknown request URL: POST /openai/v1/completions. Please check the URL for
   * typos, or see the docs at https://console.groq.com/docs/", as a legacy completions call gets
   * there), which OpenAI's own API shares; OpenAI's older "Invalid URL (POST /v1/completions)"
   * with no code. A chat call served.
   */
  const chatOnlyApi = (words: "groq" | "openai") =>
    served((_request, pathname) => {
      if (pathname === "/openai/v1/chat/completions")
        return Response.json(chatCompletion("llama", "served by chat"));
      const error =
        words === "groq"
          ? {
              message: `Unknown request URL: POST ${pathname}. Please check the URL for typos, or see the docs at https://console.groq.com/docs/`,
              type: "invalid_request_error",
              code: "unknown_url",
            }
          : {
              message: `Invalid URL (POST ${pathname})`,
              type: "invalid_request_error",
              param: null,
              code: null,
            };
      return Response.json({ error }, { status: 404 });
    });

  /** A server of legacy completions, for the model's second route. */
  const completer = () =>
    served(async (request) =>
      Response.json({
        id: "cmpl-1",
        object: "text_completion",
        created: 1,
        model: await modelOf(request),
        choices: [{ index: 0, text: "served by completions", finish_reason: "stop", logprobs: null }],
        usage: { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 },
      }),
    ).server;

  test("legacy completions asked of a chat-only API that says so in OpenAI's shape (Groq's unknown_url, OpenAI's Invalid URL): failed over at once to a route that serves them; alone a 502 that says so, never a 404 quoting the upstream's URL", async () => {
    const groq = chatOnlyApi("groq");
    const openaiLike = chatOnlyApi("openai");
    const instruct = completer();
    const own = await fx.spawn({
      config: {
        providers: [
          { name: "groq", type: "openai", base_url: `${groq.server.url}openai/v1` },
          { name: "chat-api", type: "openai", base_url: `${openaiLike.server.url}openai/v1` },
          { name: "instruct", type: "openai", base_url: `${instruct.url}v1` },
        ],
        models: [
          { name: "groq-only", routes: [{ provider: "groq", model: "llama" }] },
          { name: "chat-api-only", routes: [{ provider: "chat-api", model: "llama" }] },
          {
            name: "groq-then-instruct",
            routes: [
              { provider: "groq", model: "llama-b" },
              { provider: "instruct", model: "instruct" },
            ],
          },
        ],
        routing: { retries: 2, circuit_breaker: { failures: 2, cooldown: "10m" } },
      },
    });
    const { key } = await createKey(own, { name: "completions-caller" });
    const client = new OpenAI({ baseURL: `${own.url}/v1`, apiKey: key, maxRetries: 0 });
    for (const [model, name] of [
      ["groq-only", "groq"],
      ["chat-api-only", "chat-api"],
    ] as const) {
      const error = await openaiFailure(client.completions.create({ model, prompt: "hi" }));
      // Before: the caller's 404, "Unknown request URL: POST /openai/v1/completions. …".
      expect([model, error.status, error.code, error.message]).toEqual([
        model,
        502,
        "upstream_error",
        `502 upstream ${name} answered 404: no route for the call's path there (an operation it does not serve, or a wrong base_url)`,
      ]);
    }
    // Asked once each: not sent again, whatever retries are left.
    expect(groq.paths).toEqual(["/openai/v1/completions"]);
    expect(openaiLike.paths).toEqual(["/openai/v1/completions"]);
    const served = await client.completions.create({ model: "groq-then-instruct", prompt: "hi" });
    expect(served.choices[0]?.text).toBe("served by completions");
    const chatted = await client.chat.completions.create({
      model: "groq-only",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(chatted.choices[0]?.message.content).toBe("served by chat");
  });

  test("a wrong base_url (no /v1): each call fails over at once to the next route, and alone is a 502 that says so", async () => {
    const vllm = chatOnlyVllm();
    const own = await fx.spawn({
      config: {
        providers: [
          { name: "no-v1", type: "openai", base_url: vllm.server.url.href },
          { name: "vllm", type: "openai", base_url: `${vllm.server.url}v1` },
        ],
        models: [
          { name: "misrouted", routes: [{ provider: "no-v1", model: "llama" }] },
          {
            name: "misrouted-then-vllm",
            routes: [
              { provider: "no-v1", model: "llama-b" },
              { provider: "vllm", model: "llama-b" },
            ],
          },
        ],
        routing: { retries: 2, circuit_breaker: { failures: 2, cooldown: "10m" } },
      },
    });
    const { key: ownKey } = await createKey(own, { name: "misrouted" });
    const client = new OpenAI({ baseURL: `${own.url}/v1`, apiKey: ownKey, maxRetries: 0 });
    const error = await openaiFailure(
      client.chat.completions.create({ model: "misrouted", messages: [{ role: "user", content: "hi" }] }),
    );
    expect([error.status, error.code, error.message]).toEqual([
      502,
      "upstream_error",
      "502 upstream no-v1 answered 404: no route for the call's path there (an operation it does not serve, or a wrong base_url)",
    ]);
    for (let i = 0; i < 3; i++) {
      const served = await client.chat.completions.create({
        model: "misrouted-then-vllm",
        messages: [{ role: "user", content: "hi" }],
      });
      expect(served.choices[0]?.message.content).toBe("served by vllm");
    }
    // No breaker counts these 404s and the fallback served: each counted apart, by provider, which
    // MindgwRouteNoSuchPath fires on (docs/observability/mindgw-alerts.yml).
    const scraped = await fetch(`${own.url}/metrics`, {
      headers: { authorization: `Bearer ${own.adminKey}` },
    });
    const noSuchPath = { provider: "no-v1", outcome: "no_such_path" };
    expect(
      sampleValue(parsePrometheus(await scraped.text()), "mindgw_upstream_attempts_total", noSuchPath),
    ).toBe(4);
    // The wrong path asked once a call, the right one answering.
    expect(vllm.paths).toEqual([
      "/chat/completions",
      ...Array(3).fill(["/chat/completions", "/v1/chat/completions"]).flat(),
    ]);
  });
});
