import { afterAll, beforeAll, expect, test } from "bun:test";
import type OpenAI from "openai";
import { generateContentJson, googleError } from "../../test/fake-cloud/gemini-wire.ts";
import { gatewaySdks } from "../testing/gateway-sdks.ts";
import { startUpstreamGateway, type UpstreamGateway } from "../testing/upstream-gateway.ts";

// A Responses caller's reasoning summary on a Gemini route whose model shows no thoughts: one that
// does not think (2.0, named by the translation), or one whose thinking is off (refused by Gemini,
// sent again without it). A caller that asked by `reasoning.generate_summary`, summary's deprecated
// name (older SDKs, the Agents SDK's first releases), was told `reasoning.summary`, a field it never
// sent; now each is told by the name it sent.

const ANSWER = { text: "Hi.", inputTokens: 3, outputTokens: 2 };
const THINKING_OFF = "include_thoughts is only enabled when thinking is enabled.";

let gateway: UpstreamGateway;
let openai: OpenAI;

beforeAll(async () => {
  gateway = await startUpstreamGateway(
    async (request) => {
      const model = /\/models\/([^/:]+):/.exec(new URL(request.url).pathname)?.[1] ?? "";
      const sent = (await request.json()) as { generationConfig?: { thinkingConfig?: object } };
      if (sent.generationConfig?.thinkingConfig)
        return Response.json(googleError(400, "INVALID_ARGUMENT", THINKING_OFF), { status: 400 });
      return Response.json(generateContentJson(ANSWER, model));
    },
    (upstream) => ({
      providers: [{ name: "gm", type: "gemini", base_url: `${upstream}/v1beta`, api_key: "k" }],
      models: [
        { name: "thinks-not", routes: [{ provider: "gm", model: "gemini-2.0-flash" }] },
        { name: "thinking-off", routes: [{ provider: "gm", model: "gemini-2.5-flash-lite" }] },
      ],
      routing: { retries: 0 },
    }),
  );
  ({ openai } = gatewaySdks(gateway));
});

afterAll(() => gateway.stop());

/** The fields the gateway says it dropped from a Responses call asking `reasoning` of `model`. */
async function dropped(model: string, reasoning: OpenAI.Reasoning): Promise<string | null> {
  const { response } = await openai.responses.create({ model, input: "hi", reasoning }).withResponse();
  return response.headers.get("x-mindgw-dropped");
}

test.each(["thinks-not", "thinking-off"])("%s: the summary is named as the caller sent it", async (model) => {
  expect(await dropped(model, { summary: "auto" })).toBe("reasoning.summary");
  expect(await dropped(model, { generate_summary: "concise" })).toBe("reasoning.generate_summary");
  // Both sent: `summary` is the one read, and named.
  expect(await dropped(model, { summary: "auto", generate_summary: "concise" })).toBe("reasoning.summary");
});
