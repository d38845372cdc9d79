import { describe, expect, test } from "bun:test";
import { upstreamError } from "../core/gateway-error.ts";
import { chatRequest, fakeProvider, jsonReply, routerFor, twoRoutes } from "./router-test-kit.ts";

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
});
