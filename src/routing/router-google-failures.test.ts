import { describe, expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { createGoogleProvider, geminiApiEndpoint } from "../providers/google/gemini-provider.ts";
import type { ProviderCall } from "../providers/provider.ts";
import { chatRequest, type FakeProvider, fakeProvider, routerFor, twoRoutes } from "./router-test-kit.ts";

// What Gemini answers, judged by the router: the real Gemini provider as route `a`, its `fetch`
// answering in Google's own wire format; route `b` a healthy second route.

/** The Gemini provider as the route of provider `name`, every call answered by `answer`. */
function gemini(name: string, answer: () => Response): FakeProvider {
  const provider = createGoogleProvider({
    name,
    vendor: "gcp.gemini",
    endpoint: geminiApiEndpoint("http://gemini.test/v1beta", "key"),
    fetch: Object.assign(async () => answer(), { preconnect: () => {} }) as typeof fetch,
  });
  const calls: ProviderCall[] = [];
  return {
    ...provider,
    calls,
    call(call) {
      calls.push(call);
      return provider.call(call);
    },
  };
}

const googleError = (code: number, status: string, message: string) =>
  Response.json({ error: { code, message, status } }, { status: code });

describe("Gemini's FAILED_PRECONDITION (location, billing): the gateway's deployment, not the request", () => {
  const unsupportedLocation = () =>
    googleError(400, "FAILED_PRECONDITION", "User location is not supported for the API use.");

  test("fails over to the model's next route", async () => {
    const a = gemini("a", unsupportedLocation);
    const b = fakeProvider("b");
    const { router, logs } = routerFor(twoRoutes({ retries: 0 }), [a, b]);
    const dispatched = await router(chatRequest("m"));
    expect(dispatched.route).toBe("provider:b");
    expect([a.calls.length, b.calls.length]).toEqual([1, 1]);
    expect(logs[0]?.fields.reason).toBe(
      "upstream a refused the gateway's deployment: User location is not supported for the API use.",
    );
  });

  test("with no route left, the caller gets the gateway's 502 naming the provider, not a 400 of its own", async () => {
    const a = gemini("a", unsupportedLocation);
    const b = gemini("b", unsupportedLocation);
    const { router } = routerFor(twoRoutes({ retries: 0 }), [a, b]);
    const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    expect(error).toBeInstanceOf(GatewayError);
    expect([error.status, error.code]).toEqual([502, "upstream_error"]);
    expect(error.message).toBe(
      "upstream b refused the gateway's deployment: User location is not supported for the API use.",
    );
  });
});
