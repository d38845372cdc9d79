import { beforeAll, expect } from "bun:test";
import OpenAI from "openai";
import { type FakeUpstream, startFakeUpstream } from "../../fake-upstream/fake-upstream.ts";
import { type FixtureContext, gatewayFixture } from "./gateway-fixture.ts";
import { type OkAnswer, waitForOk } from "./wait-for-ok.ts";

interface Status {
  config: { version: number; lastReloadError: string | null };
}

/** A model `name` whose one route is `provider`'s model `name-provider`. */
export const model = (name: string, provider: string) => ({
  name,
  routes: [{ provider, model: `${name}-${provider}` }],
});

export const ask = (text = "hi") => [{ role: "user" as const, content: text }];

/**
 * The gateway the hot-reload tests share (test/e2e/hot-reload*.test.ts): two fake upstreams, `a`
 * and `b`, as providers of those names, and model m1 on `a`. Each file that calls it starts its own
 * in its `beforeAll`: read `fx.gw` and the upstreams when a test runs. `gateway: false`: the fakes
 * and `fx.dir` only, for a file whose every test starts its own gateway with `fx.spawn`.
 */
export function hotReloadFixture({ gateway = true }: { gateway?: boolean } = {}) {
  let a: FakeUpstream | undefined;
  let b: FakeUpstream | undefined;
  const started = (upstream: FakeUpstream | undefined): FakeUpstream => {
    if (upstream === undefined) throw new Error("the hot-reload fixture is used before beforeAll ran");
    return upstream;
  };
  /** Both fakes as providers `a` and `b`. */
  const providers = () => [
    { name: "a", type: "openai", base_url: `${started(a).url}/v1` },
    { name: "b", type: "openai", base_url: `${started(b).url}/v1` },
  ];
  const startFakes = async ({ fake, own }: FixtureContext<FakeUpstream>) => {
    a = fake;
    b = own(await startFakeUpstream());
  };
  const fx = gatewayFixture({
    fakeRoutes: false,
    gateway,
    config: async (_aUrl, context) => {
      await startFakes(context);
      return { providers: providers(), models: [model("m1", "a")] };
    },
  });
  // Without a gateway the fixture never asks for its config: `b` starts here, after the fixture's
  // own beforeAll has started `a` (hooks run in the order they were registered).
  if (!gateway) beforeAll(() => startFakes(fx), 60_000);
  const client = () =>
    new OpenAI({ apiKey: fx.gw.adminKey ?? "", baseURL: `${fx.gw.url}/v1`, maxRetries: 0 });

  /** The admin status as answered: its HTTP status, and its body when that is a 200. */
  async function answer(): Promise<OkAnswer<Status>> {
    const response = await fetch(`${fx.gw.url}/admin/api/status`, {
      headers: { authorization: `Bearer ${fx.gw.adminKey}` },
    });
    if (response.status !== 200) {
      await response.arrayBuffer();
      return { status: response.status };
    }
    return { status: 200, body: (await response.json()) as Status };
  }

  async function status(): Promise<Status> {
    const { status, body } = await answer();
    expect(status).toBe(200);
    return body as Status;
  }

  /** Polls the admin status until `holds` of it (its 200 asserted once, after the wait). */
  const waitForStatus = (what: string, holds: (current: Status) => boolean) => waitForOk(what, answer, holds);

  return {
    fx,
    get a() {
      return started(a);
    },
    get b() {
      return started(b);
    },
    providers,
    client,
    /** The admin status of the shared gateway. */
    status,
    /** The upstream model a request for `name` lands on, or the HTTP status it failed with. */
    async servedBy(name: string): Promise<string | number> {
      try {
        return (await client().chat.completions.create({ model: name, messages: ask() })).model;
      } catch (error) {
        if (error instanceof OpenAI.APIError) return error.status ?? 0;
        throw error;
      }
    },
    waitForStatus,
    waitForVersion: (version: number) =>
      waitForStatus(`config version ${version}`, (current) => current.config.version === version),
  };
}
