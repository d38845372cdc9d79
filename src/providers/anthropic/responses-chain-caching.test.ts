import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { type Gateway, parseConfig } from "../../index.ts";
import { recordingGateway } from "../../testing/recording-gateway.ts";
import { jsonFixture } from "../../translate/fixtures/load-fixture.ts";

// A Responses caller that continues a stored chain (`previous_response_id`) on Claude had nothing
// cached unless it also sent a `prompt_cache_key`: each turn's whole stored conversation, which the
// gateway expands in front of the new input and which is the same from turn to turn, was billed and
// read again. Through the gateway on loopback and the official OpenAI SDK, to an upstream that
// answers as Anthropic's Messages API does and keeps what it was sent.

interface Sent {
  readonly cache_control?: unknown;
  readonly messages?: readonly unknown[];
}

const sent: Sent[] = [];
let upstream: ReturnType<typeof Bun.serve> | undefined;
let gateway: Gateway | undefined;
let openai: OpenAI;

/** A gateway with `claude` on the upstream at `upstreamUrl`, its provider's `automatic_caching` as given. */
async function gatewayOn(upstreamUrl: string, automaticCaching = true) {
  const made = await recordingGateway(
    parseConfig({
      storage: { path: ":memory:" },
      routing: { retries: 0 },
      providers: [
        {
          name: "an",
          type: "anthropic",
          base_url: upstreamUrl,
          api_key: "k",
          // A server that is not api.anthropic.com takes it only when told so.
          automatic_caching: automaticCaching,
        },
      ],
      models: [{ name: "claude", routes: [{ provider: "an", model: "claude-sonnet-4-6" }] }],
    }),
  );
  const client = new OpenAI({
    baseURL: `http://127.0.0.1:${made.gateway.listen("127.0.0.1", 0).port}/v1`,
    apiKey: made.adminKey,
    maxRetries: 0,
  });
  return { gateway: made.gateway, openai: client };
}

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      sent.push((await request.json()) as Sent);
      return Response.json(jsonFixture("anthropic/message-text.json"));
    },
  });
  ({ gateway, openai } = await gatewayOn(`http://127.0.0.1:${upstream.port}`));
});

afterAll(async () => {
  await gateway?.stop();
  upstream?.stop(true);
});

describe("a stored chain on Claude", () => {
  test("a turn that continues one asks Claude's automatic caching, without a prompt_cache_key, nothing named", async () => {
    const first = await openai.responses.create({ model: "claude", input: "hi" });
    const before = sent.length;
    const { data, response } = await openai.responses
      .create({ model: "claude", input: "and again", previous_response_id: first.id })
      .withResponse();
    expect(data.output_text).toBe("Hello! How can I help you today?");
    expect(response.headers.get("x-mindgw-dropped")).toBeNull();
    const body = sent[before];
    // The stored turns, then the new input: the prefix a later turn reads back.
    expect(body?.messages?.length).toBe(3);
    expect(body?.cache_control).toEqual({ type: "ephemeral" });
  });

  test("a first turn, which continues nothing, is not cached unasked", async () => {
    const before = sent.length;
    await openai.responses.create({ model: "claude", input: "hi" });
    expect(sent[before]?.cache_control).toBeUndefined();
  });

  test("with automatic_caching off, a chain goes uncached and nothing is named", async () => {
    if (upstream === undefined) throw new Error("no upstream");
    const off = await gatewayOn(`http://127.0.0.1:${upstream.port}`, false);
    try {
      const first = await off.openai.responses.create({ model: "claude", input: "hi" });
      const before = sent.length;
      const { response } = await off.openai.responses
        .create({ model: "claude", input: "and again", previous_response_id: first.id })
        .withResponse();
      expect(response.headers.get("x-mindgw-dropped")).toBeNull();
      expect(sent[before]?.cache_control).toBeUndefined();
    } finally {
      await off.gateway.stop();
    }
  });
});
