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
});
