import { afterAll, beforeAll, expect, test } from "bun:test";
import { converseFrames } from "../../test/fake-cloud/bedrock-wire.ts";
import { generateContentEvents } from "../../test/fake-cloud/gemini-wire.ts";
import {
  chatStreamOf,
  type GatewaySdks,
  gatewaySdks,
  messagesStreamOf,
  sdkFailure,
} from "../testing/gateway-sdks.ts";
import { startUpstreamGateway, type UpstreamGateway } from "../testing/upstream-gateway.ts";

// Gemini's stream and Bedrock ConverseStream's have no end marker: the body's end is the stream's.
// One that ended with no event (a proxy's empty 200, a server that failed before its first event)
// was told "ended the stream without its end marker", a marker those dialects never send; now
// "before the answer began", as one cut before its finish reads "before the answer was complete".

const ANSWER = { text: "one two three four five six", inputTokens: 3, outputTokens: 6 };

/** The upstream's body, by the model asked: none at all, or its first events and no finish. */
function body(model: string, events: readonly (string | Uint8Array)[]): BodyInit {
  if (model.startsWith("empty")) return "";
  const cut = events.slice(0, 3);
  return new Blob(cut.map((event) => (typeof event === "string" ? event : new Uint8Array(event))));
}

let gateway: UpstreamGateway;
let sdks: GatewaySdks;

beforeAll(async () => {
  gateway = await startUpstreamGateway(
    (request) => {
      const path = decodeURIComponent(new URL(request.url).pathname);
      const converse = /^\/model\/([^/]+)\/converse-stream$/.exec(path);
      if (converse)
        return new Response(body(converse[1] ?? "", converseFrames(ANSWER)), {
          headers: { "content-type": "application/vnd.amazon.eventstream" },
        });
      const gemini = /\/models\/([^/:]+):streamGenerateContent$/.exec(path);
      if (gemini)
        return new Response(body(gemini[1] ?? "", generateContentEvents(ANSWER, gemini[1] ?? "")), {
          headers: { "content-type": "text/event-stream" },
        });
      return Response.json({ message: `no route ${path}` }, { status: 404 });
    },
    (upstream) => ({
      providers: [
        {
          name: "br",
          type: "bedrock",
          region: "us-east-1",
          base_url: upstream,
          aws: { access_key_id: "AKIATEST", secret_access_key: "secret" },
        },
        { name: "gm", type: "gemini", base_url: `${upstream}/v1beta`, api_key: "k" },
      ],
      models: ["empty", "cut"].flatMap((kind) => [
        { name: `br-${kind}`, routes: [{ provider: "br", model: `${kind}.claude` }] },
        { name: `gm-${kind}`, routes: [{ provider: "gm", model: `${kind}-gemini` }] },
      ]),
      routing: { retries: 0 },
    }),
  );
  sdks = gatewaySdks(gateway);
});

afterAll(() => gateway.stop());

test.each([
  ["br-empty", "upstream br ended the stream before the answer began"],
  ["gm-empty", "upstream gm ended the stream before the answer began"],
  ["br-cut", "upstream br ended the stream before the answer was complete"],
  ["gm-cut", "upstream gm ended the stream before the answer was complete"],
])("%s: chat and Messages callers read that it ended early, no end marker named", async (model, says) => {
  const chat = await sdkFailure(chatStreamOf(sdks.openai, model));
  const messages = await sdkFailure(messagesStreamOf(sdks.anthropic, model));
  for (const [status, message] of [chat, messages]) {
    expect(message).toContain(says);
    expect(message).not.toContain("end marker");
    // The first event failed its attempt: a 502 before any byte; after one, the error event's words.
    if (model.endsWith("empty")) expect(status).toBe(502);
  }
});
