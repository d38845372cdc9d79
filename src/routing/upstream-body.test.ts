import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import { upstreamError } from "../core/gateway-error.ts";
import type { Dispatched, ReceivedRequest } from "./dispatch.ts";
import { chatRequest, fakeProvider, jsonReply, modelOver, routerFor, twoRoutes } from "./router-test-kit.ts";

// A route of the model's own name, then one that renames it: what each upstream gets, and what
// is left of the caller's body for the next route.
const config = twoRoutes({}, { model: "m" });
const failsFirst = () => fakeProvider("a", () => Promise.reject(upstreamError("answered 503")));

describe("the body an upstream gets", () => {
  test("a route that keeps the model's name gets the caller's body as it is, no copy", async () => {
    const a = fakeProvider("a", () => Promise.resolve(jsonReply()));
    const request = chatRequest("m");
    await routerFor(config, [a, fakeProvider("b")]).router(request);
    expect(a.calls[0]?.body).toBe(request.body);
  });

  test("client routing fields never leave, whatever the route; the caller's body is left whole for the next", async () => {
    const a = failsFirst();
    const b = fakeProvider("b");
    const request = chatRequest("m");
    const body = { ...request.body, api_key: "sk-client", base_url: "http://evil.example" };
    const dispatched = await routerFor(config, [a, b]).router({ ...request, body });
    expect(dispatched.route).toBe("provider:b");
    expect(a.calls[0]?.body).toEqual({ model: "m", messages: request.body.messages, stream: false });
    expect(b.calls[0]?.body).toEqual({ model: "mb", messages: request.body.messages, stream: false });
    expect(body).toMatchObject({ model: "m", api_key: "sk-client", base_url: "http://evil.example" });
  });

  test("a route that renames the model gets a copy; the caller's body keeps its own name", async () => {
    const b = fakeProvider("b");
    const request = chatRequest("m");
    await routerFor(config, [failsFirst(), b]).router(request);
    expect(b.calls[0]?.body).not.toBe(request.body);
    expect(b.calls[0]?.body.model).toBe("mb");
    expect(request.body.model).toBe("m");
  });

  test("a same-dialect route is handed the request as received when nothing is spliced, else its spliced bytes", async () => {
    const passing = (name: string, script?: Parameters<typeof fakeProvider>[1]) => ({
      ...fakeProvider(name, script),
      passThrough: true,
    });
    const a = passing("a", () => Promise.reject(upstreamError("answered 503")));
    const b = passing("b");
    const body = { model: "m", messages: [{ role: "user", content: "hi" }], stream: false };
    const bytes = new TextEncoder().encode(JSON.stringify(body));
    const received = {
      bytes,
      body,
      headers: { "openai-beta": "x" },
      query: "?q=1",
      path: "/chat/completions",
    };
    await routerFor(config, [a, b]).router(chatRequest("m", { received }));
    // The route of the model's own name: the received request itself, no record made for it.
    expect(a.calls[0]?.native).toBe(received);
    const renamed = b.calls[0]?.native;
    expect(renamed).toMatchObject({ headers: received.headers, query: "?q=1", path: "/chat/completions" });
    expect(JSON.parse(new TextDecoder().decode(renamed?.bytes))).toEqual({ ...body, model: "mb" });
  });

  test("failover between routes that rename the model: each its own model, the received bytes let go once renamed", async () => {
    const passing = (name: string, script?: Parameters<typeof fakeProvider>[1]) => ({
      ...fakeProvider(name, script),
      passThrough: true,
    });
    const a = passing("a", () => Promise.reject(upstreamError("answered 503")));
    const b = passing("b");
    // Both routes rename the model; the client's spacing and unknown field go to each as sent.
    const sent = '{"model" : "m", "x_unknown":{"k":[1, 2]},"messages":[{"role":"user","content":"hi"}]}';
    const body = JSON.parse(sent);
    const received = { bytes: new TextEncoder().encode(sent), body, headers: {}, query: "" };
    const asReceived = received.bytes;
    const renamedBoth = twoRoutes({ retries: 1 }, { model: "ma" });
    await routerFor(renamedBoth, [a, b]).router(chatRequest("m", { body, received }));
    const sentTo = (provider: typeof a) =>
      provider.calls.map((call) => new TextDecoder().decode(call.native?.bytes));
    // A retry on `a`, then `b`: each the client's bytes with its own model, as each was sent.
    expect(sentTo(a)).toEqual([sent.replace('"m"', '"ma"'), sent.replace('"m"', '"ma"')]);
    expect(sentTo(b)).toEqual([sent.replace('"m"', '"mb"')]);
    // What the request holds is the last splice, not the received bytes beside it.
    expect(received.bytes).not.toBe(asReceived);
    expect(received.bytes).toBe(b.calls[0]?.native?.bytes as Uint8Array<ArrayBuffer>);
  });

  describe("a request translated for its route", () => {
    /** An Anthropic-shaped route (the call translated to Messages): what the request holds when it is called. */
    const claude = (name: string, fails: boolean) => {
      const held: (Uint8Array | undefined)[] = [];
      const provider = {
        ...fakeProvider(name, () => {
          held.push(received.bytes);
          if (fails) return Promise.reject(upstreamError("answered 503"));
          return Promise.resolve(jsonReply(MESSAGE));
        }),
        dialect: "anthropic" as const,
        passThrough: true,
      };
      return { provider, held };
    };
    const passing = (name: string) => ({ ...fakeProvider(name), passThrough: true });
    const MESSAGE = {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-up",
      content: [{ type: "text", text: "hi" }],
      stop_reason: "end_turn",
      usage: { input_tokens: 1, output_tokens: 1 },
    };
    // The client's spacing and unknown field: what a route of its dialect must be sent as they came.
    const sent = '{"model" : "m", "x_unknown":{"k":[1, 2]},"messages":[{"role":"user","content":"hi"}]}';
    let received: ReceivedRequest;
    const request = () => {
      const body = JSON.parse(sent) as JsonObject;
      received = { bytes: new TextEncoder().encode(sent), body, headers: {}, query: "" };
      return chatRequest("m", { body, received });
    };
    /** Claude at `a`, then an OpenAI-shaped `b` serving `model`. */
    const routes = (model: string) =>
      modelOver(
        [
          { provider: "a", type: "anthropic", model: "claude-up" },
          { provider: "b", type: "openai", model },
        ],
        { retries: 1 },
      );

    test("lets go of the bytes it came as while its upstream answers, when no route left would send them", async () => {
      const a = claude("a", false);
      const dispatched = await routerFor(routes("mb"), [
        a.provider,
        { ...fakeProvider("b"), dialect: "anthropic" as const, passThrough: true },
      ]).router(request());
      expect(dispatched.route).toBe("provider:a");
      expect(a.held).toEqual([undefined]);
    });

    test("keeps them while a route left may send them: a failover to it gets the client's bytes as sent", async () => {
      const a = claude("a", true);
      const b = passing("b");
      const dispatched = await routerFor(routes("m"), [a.provider, b]).router(request());
      expect(dispatched.route).toBe("provider:b");
      // Held through the translated route's try and its retry.
      expect(a.held.map((bytes) => new TextDecoder().decode(bytes))).toEqual([sent, sent]);
      expect(new TextDecoder().decode(b.calls[0]?.native?.bytes)).toBe(sent);
    });

    test("lets go of them when the routes left are Claude on Bedrock or Vertex AI, which take the caller's headers but build every body themselves", async () => {
      // A Messages call translated for a chat route first; then Claude on a cloud, as received.
      const held: (Uint8Array | undefined)[] = [];
      const chat = fakeProvider("a", () => {
        held.push(received.bytes);
        return Promise.resolve(jsonReply());
      });
      const bedrock = {
        ...fakeProvider("b"),
        dialect: "anthropic" as const,
        passThrough: true,
        rebuildsBody: true,
      };
      const config = modelOver([
        { provider: "a", type: "openai", model: "gpt-up" },
        { provider: "b", type: "anthropic", model: "claude-up" },
      ]);
      const message = '{"model":"m","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}';
      const body = JSON.parse(message) as JsonObject;
      received = { bytes: new TextEncoder().encode(message), body, headers: {}, query: "" };
      await routerFor(config, [chat, bedrock]).router(
        chatRequest("m", { operation: "messages", body, received }),
      );
      expect(held).toEqual([undefined]);
    });

    test("a Claude route that must leave out thinking Claude did not sign sends the body serialised: the bytes are let go, none spliced for it", async () => {
      // A Messages call whose history holds a chat route's reasoning, unsigned; both routes Claude.
      const withThinking =
        '{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"thinking","thinking":"hmm"},{"type":"text","text":"yo"}]},{"role":"user","content":"again"}]}';
      const body = JSON.parse(withThinking) as JsonObject;
      received = { bytes: new TextEncoder().encode(withThinking), body, headers: {}, query: "" };
      const a = claude("a", true);
      const b = claude("b", false);
      await routerFor(routes("mb"), [a.provider, b.provider]).router(
        chatRequest("m", { operation: "messages", body, received }),
      );
      expect([...a.held, ...b.held]).toEqual([undefined, undefined, undefined]);
      expect(received.unsignedThinking).toBe(true);
    });

    test("keeps them when the audit row is made from them (audit.bodies): the row has them anyway", async () => {
      const a = claude("a", false);
      const config = routes("mb");
      const providers = [a.provider, { ...fakeProvider("b"), dialect: "anthropic" as const }];
      const body = JSON.parse(sent) as JsonObject;
      received = { bytes: new TextEncoder().encode(sent), body, headers: {}, query: "", bytesAudited: true };
      await routerFor(config, providers).router(chatRequest("m", { body, received }));
      expect(a.held.map((bytes) => new TextDecoder().decode(bytes))).toEqual([sent]);
    });

    test("keeps them while a shadow copy of the request may be sent", async () => {
      const a = claude("a", false);
      const config = routes("mb");
      const providers = [a.provider, { ...fakeProvider("b"), dialect: "anthropic" as const }];
      const shadow = (_model: unknown, _request: unknown, primary: Dispatched) => primary;
      await routerFor(config, providers, { shadow, mayShadow: () => true }).router(request());
      await routerFor(config, providers, { shadow, mayShadow: () => false }).router(request());
      expect(a.held.map((bytes) => bytes !== undefined)).toEqual([true, false]);
    });
  });
});
