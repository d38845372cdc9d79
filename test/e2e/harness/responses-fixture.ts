import { beforeAll } from "bun:test";
import OpenAI from "openai";
import { type CannedUpstream, startCannedUpstream } from "../../fake-upstream/canned-upstream.ts";
import type { FakeRequest, FakeUpstream } from "../../fake-upstream/fake-upstream.ts";
import { createKey } from "./admin-api.ts";
import { type FixtureContext, gatewayFixture } from "./gateway-fixture.ts";
import { startPostgres } from "./postgres-server.ts";

/** A chat request the fake upstream was sent. */
export type Seen = FakeRequest & {
  body: { messages: ({ role: string; content: unknown } & Record<string, unknown>)[] } & Record<
    string,
    unknown
  >;
};

/**
 * The request the fixture's fake got after the first `before`, waited for, its body read as `S`'s
 * (a chat request's unless said).
 */
export const upstreamCallOf =
  <S extends FakeRequest = Seen>(fixture: { readonly fake: FakeUpstream }) =>
  async (before: number): Promise<S> =>
    (await fixture.fake.waitForRequest(before + 1, 10_000)) as S;

/**
 * An upstream serving the Responses API itself (a native route), answering what is queued; as
 * OpenAI, it refuses an input item's id it never answered with, or answered `store: false`.
 * Stopped with the fixture that `own`s it.
 */
export const ownNativeUpstream = (own: FixtureContext<FakeUpstream>["own"]): CannedUpstream =>
  own(startCannedUpstream({ resolvesItemIds: true }));

/** The text of a response's message items (the SDK only adds `output_text` to non-stream results). */
export const outputText = (response: OpenAI.Responses.Response) =>
  response.output
    .flatMap((item) => (item.type === "message" ? item.content : []))
    .map((part) => (part.type === "output_text" ? part.text : ""))
    .join("");

export const JSON_TYPE = { "content-type": "application/json" };
/** A native answer of `output`, under the upstream's own ids. */
export const nativeAnswer = (id: string, output: object[]) =>
  JSON.stringify({
    id,
    object: "response",
    status: "completed",
    model: "up-n1",
    output,
    usage: { input_tokens: 5, output_tokens: 1, total_tokens: 6 },
  });
/** A native answer's message item of `text`, under the upstream's id. */
export const nativeMessage = (id: string, text: string) => ({
  id,
  type: "message",
  role: "assistant",
  status: "completed",
  content: [{ type: "output_text", text, annotations: [] }],
});
/** An item as it reaches an upstream that never issued its id: without it. */
export const withoutId = ({ id: _id, ...item }: { id?: string }) => item;

/**
 * The gateway the Responses API tests share (test/e2e/responses.test.ts and the files split from it):
 * translated routes on the fake upstream (`m1` chat, `c1` Claude), `n1` on a canned upstream
 * serving the Responses API itself and `ca1` on the same server as Claude; tenants acme and globex.
 * Its storage is SQLite, or with `storage: "postgres"` a PostgreSQL of its own.
 * Each file that calls it starts its own in its `beforeAll`: read the fixture (`fx`), the SDK
 * clients of two acme keys and a globex one, and `native` off what this returns when a test runs.
 */
export function responsesFixture(options: { readonly storage?: "postgres" } = {}) {
  /** The native route `n1`'s upstream (`ownNativeUpstream`). */
  let native: CannedUpstream | undefined;
  let clients: { acme: OpenAI; acme2: OpenAI; globex: OpenAI } | undefined;
  const fx = gatewayFixture({
    fakeRoutes: false,
    config: async (_fakeUrl, { fake, own }) => {
      native = ownNativeUpstream(own);
      // The stores whose code differs by driver (the item index among them), on a PostgreSQL of its own.
      const storage =
        options.storage === "postgres"
          ? { driver: "postgres", url: await own(await startPostgres()).createDatabase(), sslmode: "disable" }
          : undefined;
      return {
        ...(storage ? { storage } : {}),
        providers: [
          { name: "fake", type: "openai", base_url: `${fake.url}/v1` },
          { name: "claude", type: "anthropic", base_url: fake.url },
          { name: "native", type: "openai", base_url: `${native.url}/v1`, responses_api: true },
          // The same canned server as Claude: answers a test spells out block by block.
          { name: "canned-claude", type: "anthropic", base_url: native.url },
        ],
        models: [
          { name: "m1", routes: [{ provider: "fake", model: "up-m1" }] },
          { name: "c1", routes: [{ provider: "claude", model: "claude-up" }] },
          { name: "n1", routes: [{ provider: "native", model: "up-n1" }] },
          { name: "ca1", routes: [{ provider: "canned-claude", model: "claude-up" }] },
        ],
        routing: { retries: 0 },
        // Configured tenants share their stored responses; a free label does not (see below).
        tenants: [{ name: "acme" }, { name: "globex" }],
      };
    },
  });
  const client = (key: string) => new OpenAI({ baseURL: `${fx.gw.url}/v1`, apiKey: key, maxRetries: 0 });
  beforeAll(async () => {
    const { gw } = fx;
    if (!gw.adminKey) throw new Error("no bootstrap admin key printed");
    clients = {
      acme: client((await createKey(gw, { name: "acme-a", tenant: "acme" })).key),
      acme2: client((await createKey(gw, { name: "acme-b", tenant: "acme" })).key),
      globex: client((await createKey(gw, { name: "globex-a", tenant: "globex" })).key),
    };
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the Responses fixture is read before beforeAll ran");
    return value;
  };
  return {
    fx,
    /** The OpenAI SDK on the gateway as `key`. */
    client,
    /** Two keys of tenant acme and one of globex, each in an SDK client. */
    get acme() {
      return started(clients).acme;
    },
    get acme2() {
      return started(clients).acme2;
    },
    get globex() {
      return started(clients).globex;
    },
    get native() {
      return started(native);
    },
    /** The chat request the fake upstream got after the first `before`, waited for. */
    upstreamCall: upstreamCallOf(fx),
    /** The input of the last request the native upstream was sent. */
    nativeInput: () =>
      (JSON.parse(started(native).requests.at(-1)?.text ?? "{}") as { input: unknown[] }).input,
  };
}
