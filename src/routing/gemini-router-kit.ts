import type { JsonObject } from "../core/dialect.ts";
import { createGoogleProvider, geminiApiEndpoint } from "../providers/google/gemini-provider.ts";
import type { ProviderCall } from "../providers/provider.ts";
import type { FakeProvider } from "./router-test-kit.ts";

// The real Gemini provider behind the router, for tests of what the router makes of what Gemini
// answers: its `fetch` answers in Google's own wire format, judged by the provider's own reading.

/** The Gemini provider as the route of provider `name`, every call answered by `answer` from its body. */
export function gemini(name: string, answer: (sent: JsonObject) => Response): FakeProvider {
  const send = async (_url: unknown, init?: RequestInit) => answer(JSON.parse(String(init?.body)));
  const provider = createGoogleProvider({
    name,
    vendor: "gcp.gemini",
    endpoint: geminiApiEndpoint("http://gemini.test/v1beta", "key"),
    fetch: Object.assign(send, { preconnect: () => {} }) as typeof fetch,
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

/** Google's error body (`error.code`, `status`, `message`) with its HTTP status. */
export const googleError = (code: number, status: string, message: string) =>
  Response.json({ error: { code, message, status } }, { status: code });
