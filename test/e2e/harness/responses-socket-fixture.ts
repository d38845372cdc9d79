import { beforeAll } from "bun:test";
import OpenAI from "openai";
import { ResponsesWS } from "openai/resources/responses/ws";
import type { CannedUpstream } from "../../fake-upstream/canned-upstream.ts";
import { createKey } from "./admin-api.ts";
import { gatewayFixture } from "./gateway-fixture.ts";
import { ownNativeUpstream, upstreamCallOf } from "./responses-fixture.ts";
import { waitFor } from "./wait-for.ts";

export type ServerEvent = OpenAI.Responses.ResponsesServerEvent;

/** A connection of the SDK's, with what it received kept in order. */
export interface SocketConnection {
  readonly socket: ResponsesWS;
  readonly events: ServerEvent[];
  /** The close code, once closed. */
  readonly closed: Promise<number>;
}

const ENDS = new Set(["response.completed", "response.incomplete", "response.failed"]);

/**
 * Whether `event` ends its turn: a response's last event; or an `error` said before any stream
 * began (a refused turn), which carries no `sequence_number`. One said in a stream is numbered in
 * it, and its `response.failed` follows, as OpenAI fails a response that began.
 */
export const ends = (event: ServerEvent) =>
  ENDS.has(event.type) || (event.type === "error" && !("sequence_number" in event));

/** A native answer of `output` under the upstream's own ids (`id`), streamed as OpenAI streams one. */
export function nativeStream(id: string, output: object[]) {
  const response = { id, object: "response", model: "up-n1", output };
  const event = (type: string, fields: object) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`;
  const usage = { input_tokens: 5, output_tokens: 1, total_tokens: 6 };
  return {
    headers: { "content-type": "text/event-stream" },
    body: [
      event("response.created", { response: { ...response, status: "in_progress", output: [] } }),
      event("response.completed", { response: { ...response, status: "completed", usage } }),
    ],
  };
}

/** A connection of the SDK's to the gateway at `gatewayUrl`, as `apiKey`. */
export function connectSocket(gatewayUrl: string, apiKey: string): SocketConnection {
  const client = new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey, maxRetries: 0 });
  const socket = new ResponsesWS(client);
  const events: ServerEvent[] = [];
  socket.on("event", (event) => events.push(event));
  // Error events come to `error` as well as `event`: kept once, from `event`.
  socket.on("error", () => undefined);
  const closed = new Promise<number>((resolve) => socket.on("close", (code) => resolve(code)));
  return { socket, events, closed };
}

/** Sends one turn and waits (bounded) for its last event; returns the turn's events. */
export async function turn(
  connection: SocketConnection,
  event: OpenAI.Responses.ResponsesClientEvent,
): Promise<ServerEvent[]> {
  const from = connection.events.length;
  connection.socket.send(event);
  await waitFor("the turn's last event", () => (connection.events.slice(from).some(ends) ? true : undefined));
  return connection.events.slice(from);
}

/** The response a turn completed (throws if it ended otherwise). */
export const completed = (events: ServerEvent[]) => {
  const last = events.at(-1);
  if (last?.type !== "response.completed") throw new Error(`turn ended with ${JSON.stringify(last)}`);
  return last.response;
};
/** The text of a turn's output deltas. */
export const text = (events: ServerEvent[]) =>
  events.flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : [])).join("");

/**
 * The gateway the Responses WebSocket tests share (test/e2e/responses-socket*.test.ts): model `m1`
 * on the fake upstream (a chat route), `n1` on a canned upstream serving the Responses API itself,
 * and a key of tenant acme to call them with. Each file that calls it starts its own in its
 * `beforeAll`: read the fixture (`fx`), `key` and `native` off what this returns when a test runs.
 */
export function responsesSocketFixture() {
  /** The native route `n1`'s upstream (`ownNativeUpstream`). */
  let native: CannedUpstream | undefined;
  let key = "";
  /** The gateway's config; `maxBody` (`server.max_body`) as a reload sets it. */
  const configFor = (fakeUrl: string, maxBody?: string) => ({
    providers: [
      { name: "fake", type: "openai", base_url: `${fakeUrl}/v1` },
      { name: "native", type: "openai", base_url: `${ws.native.url}/v1`, responses_api: true },
    ],
    models: [
      { name: "m1", routes: [{ provider: "fake", model: "up-m1" }] },
      { name: "n1", routes: [{ provider: "native", model: "up-n1" }] },
    ],
    routing: { retries: 0 },
    ...(maxBody ? { server: { max_body: maxBody } } : {}),
  });
  const fx = gatewayFixture({
    fakeRoutes: false,
    config: (_fakeUrl, { fake, own }) => {
      native = ownNativeUpstream(own);
      return configFor(fake.url);
    },
  });
  beforeAll(async () => {
    key = (await createKey(fx.gw, { name: "socket-user", tenant: "acme" })).key;
  });
  const ws = {
    fx,
    configFor,
    /** A key of tenant acme. */
    get key() {
      return key;
    },
    get native(): CannedUpstream {
      if (native === undefined)
        throw new Error("the socket fixture's native upstream is read before beforeAll ran");
      return native;
    },
    /** A connection of the SDK's as `apiKey` (acme's key by default). */
    connect: (apiKey = key): SocketConnection => connectSocket(fx.gw.url, apiKey),
    /** The chat request the fake upstream got after the first `before`, waited for. */
    upstreamCall: upstreamCallOf(fx),
  };
  return ws;
}
