import type { JsonObject } from "../../../core/dialect.ts";
import type { GatewayOptions } from "../../../gateway/gateway-options.ts";
import { type Authenticator, createGateway, parseConfig, silentLogger } from "../../../index.ts";
import { jwtCaller } from "../../../testing/jwt-caller.ts";
import { createGoogleProvider, geminiApiEndpoint } from "../gemini-provider.ts";

/** Test support: a whole gateway on one Gemini API route, Google's answers from a function. */

const anyone: Authenticator = async () => jwtCaller;

/** Google's answer to one call: its body, and whether it was streamed. */
export type Answer = (sent: JsonObject, stream: boolean) => Response;

/**
 * A gateway with model `m` on one Gemini API route (`gemini-2.5-flash`), `answer` answering its
 * calls through the real Gemini provider; what it sent, kept. `tracing` as an embedder passes it.
 */
export async function geminiGateway(answer: Answer, tracing?: GatewayOptions["tracing"]) {
  const sent: JsonObject[] = [];
  const send = async (url: unknown, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body)) as JsonObject;
    sent.push(body);
    return answer(body, String(url).includes(":streamGenerateContent"));
  };
  const provider = createGoogleProvider({
    name: "g",
    vendor: "gcp.gemini",
    endpoint: geminiApiEndpoint("http://gemini.test/v1beta", "key"),
    fetch: Object.assign(send, { preconnect: () => {} }) as typeof fetch,
  });
  const gateway = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      auth: { bootstrap_admin: false },
      providers: [{ name: "g", type: "gemini", api_key: "key" }],
      models: [{ name: "m", routes: [{ provider: "g", model: "gemini-2.5-flash" }] }],
      routing: { retries: 0 },
    }),
    auth: anyone,
    logger: silentLogger,
    providers: () => provider,
    ...(tracing ? { tracing } : {}),
  });
  return { gateway, sent };
}

/** Google's `body` as `generateContent` answers it, or as the one event of a stream. */
export const google = (body: object, stream: boolean) =>
  stream ? googleEvents([body]) : Response.json(body);

/** Google's events as `streamGenerateContent?alt=sse` sends them. */
export const googleEvents = (events: readonly object[]) =>
  new Response(events.map((event) => `data: ${JSON.stringify(event)}\r\n\r\n`).join(""), {
    headers: { "content-type": "text/event-stream" },
  });
