import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { type CannedUpstream, startCannedUpstream } from "../../fake-upstream/canned-upstream.ts";
import { gatewayFixture } from "./gateway-fixture.ts";

export const OPENAI_KEY = "sk-upstream-openai-1234";
export const ANTHROPIC_KEY = "sk-ant-upstream-5678";

/** An OpenAI upstream's chat answer, its spacing and unknown field as no encoder would write them. */
export const CHAT_BODY =
  '{"id":"chatcmpl-1",  "object":"chat.completion","created":1,"model":"up-chat","x_vendor":{"kept":true},' +
  '"choices":[{"index":0,"message":{"role":"assistant","content":"hello","annotations":[]},"finish_reason":"stop"}],' +
  '"usage":{"prompt_tokens":13,"completion_tokens":4,"total_tokens":17}}';

export const SSE = { "content-type": "text/event-stream" };

/**
 * The gateway the pass-through tests share (test/e2e/pass-through*.test.ts): canned upstreams for
 * OpenAI chat (`chat`), Anthropic (`claude`) and the Responses API (`resp`), answering the bytes a
 * test queued, and both SDKs' clients of it recording the exact body and headers each put on the
 * wire. Each file that calls it starts its own in its `beforeAll`: read `gw` and the upstreams when
 * a test runs.
 */
export function passThroughFixture() {
  let openaiUp: CannedUpstream | undefined;
  let anthropicUp: CannedUpstream | undefined;
  let responsesUp: CannedUpstream | undefined;
  /** The exact body text each SDK put on the wire, and its headers, by request order. */
  const sent: string[] = [];
  const sentHeaders: Headers[] = [];

  const recordingFetch: typeof fetch = Object.assign(
    (input: string | URL | Request, init?: RequestInit) => {
      if (typeof init?.body === "string") sent.push(init.body);
      sentHeaders.push(new Headers(init?.headers));
      return fetch(input, init);
    },
    { preconnect: fetch.preconnect },
  );

  const fx = gatewayFixture({
    fake: null,
    fakeRoutes: false,
    config: (_noFake, { own }) => {
      openaiUp = own(startCannedUpstream());
      anthropicUp = own(startCannedUpstream());
      responsesUp = own(startCannedUpstream());
      return {
        providers: [
          { name: "oa", type: "openai", base_url: `${openaiUp.url}/v1`, api_key: OPENAI_KEY },
          { name: "claude", type: "anthropic", base_url: anthropicUp.url, api_key: ANTHROPIC_KEY },
          {
            name: "oa-resp",
            type: "openai",
            base_url: `${responsesUp.url}/v1`,
            api_key: OPENAI_KEY,
            responses_api: true,
          },
        ],
        models: [
          { name: "chat", routes: [{ provider: "oa", model: "up-chat" }] },
          { name: "claude", routes: [{ provider: "claude", model: "claude-up" }] },
          { name: "resp", routes: [{ provider: "oa-resp", model: "up-resp" }] },
        ],
        routing: { retries: 0 },
      };
    },
  });
  const started = <T>(upstream: T | undefined): T => {
    if (upstream === undefined) throw new Error("the pass-through fixture is used before beforeAll ran");
    return upstream;
  };
  const gw = () => {
    if (!fx.gw.adminKey) throw new Error("no bootstrap admin key printed");
    return fx.gw;
  };

  return {
    get gw() {
      return gw();
    },
    get openaiUp() {
      return started(openaiUp);
    },
    get anthropicUp() {
      return started(anthropicUp);
    },
    get responsesUp() {
      return started(responsesUp);
    },
    sent,
    sentHeaders,
    openai: () =>
      new OpenAI({
        baseURL: `${gw().url}/v1`,
        apiKey: gw().adminKey ?? "",
        maxRetries: 0,
        fetch: recordingFetch,
        defaultHeaders: { "openai-beta": "responses=experimental" },
        defaultQuery: { beta: "true" },
      }),
    anthropic: () =>
      new Anthropic({ baseURL: gw().url, apiKey: gw().adminKey ?? "", maxRetries: 0, fetch: recordingFetch }),
    lastSent: () => sent.at(-1) ?? "",
    /** The last request `up` got. */
    lastUpstream: (up: CannedUpstream) => {
      const request = up.requests.at(-1);
      if (!request) throw new Error("the upstream got no request");
      return request;
    },
  };
}
