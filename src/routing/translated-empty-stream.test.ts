import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  chatStreamOf,
  type GatewaySdks,
  gatewaySdks,
  messagesStreamOf,
  sdkFailure,
} from "../testing/gateway-sdks.ts";
import { startUpstreamGateway, type UpstreamGateway } from "../testing/upstream-gateway.ts";

// A chat server that answers a stream request 200 with an event stream holding no event (a proxy,
// a server that failed before its first event), or only its end marker. Relayed to a chat caller,
// the failure names the upstream ("upstream oa ended the stream without its end marker", "upstream
// oa sent a body with no answer in it"); translated for a Messages caller it said "upstream stream
// ended before any event", naming none. Now one wording, the upstream named, whichever relay read it.

/** What the upstream answers, by the model asked: no event at all, or `[DONE]` alone. */
const BODIES: Record<string, string> = { "no-event": ": keep-alive\n\n", "done-only": "data: [DONE]\n\n" };

let gateway: UpstreamGateway;
let sdks: GatewaySdks;

beforeAll(async () => {
  gateway = await startUpstreamGateway(
    async (request) => {
      const { model } = (await request.json()) as { model: string };
      return new Response(BODIES[model] ?? "", { headers: { "content-type": "text/event-stream" } });
    },
    (upstream) => ({
      providers: [{ name: "oa", type: "openai", base_url: `${upstream}/v1`, api_key: "k" }],
      models: Object.keys(BODIES).map((name) => ({ name, routes: [{ provider: "oa", model: name }] })),
      routing: { retries: 0 },
    }),
  );
  sdks = gatewaySdks(gateway);
});

afterAll(() => gateway.stop());

test.each([
  ["no-event", "upstream oa ended the stream without its end marker"],
  ["done-only", "upstream oa sent a body with no answer in it"],
])("a stream of %s: the same 502 naming the upstream, relayed and translated", async (model, says) => {
  const [relayedStatus, relayed] = await sdkFailure(chatStreamOf(sdks.openai, model));
  const [translatedStatus, translated] = await sdkFailure(messagesStreamOf(sdks.anthropic, model));
  expect([relayedStatus, translatedStatus]).toEqual([502, 502]);
  expect(relayed).toContain(says);
  expect(translated).toContain(says);
});
