import { afterAll, beforeAll } from "bun:test";
import { type FakeUpstream, startFakeUpstream } from "../../fake-upstream/fake-upstream.ts";
import { fakeRoutesConfig } from "./fake-config.ts";
import { type GatewayProcess, type SpawnOptions, spawnGateway } from "./spawn-gateway.ts";

/** What a test file gets from `gatewayFixture`: filled in before its first test runs. */
export interface GatewayFixtureHandle {
  readonly gw: GatewayProcess;
  readonly fake: FakeUpstream;
  /** The bootstrap admin key. */
  readonly adminKey: string;
  /** `${gw.url}${path}` */
  url(path: string): string;
}

export interface FixtureOptions extends Omit<SpawnOptions, "config"> {
  /** Model names routed to the fake upstream (same upstream name). Default `["fake-model"]`. */
  models?: readonly string[];
  /** Config keys merged over the fake routes (a function sees the fake's URL). */
  config?: object | ((fakeUrl: string) => object);
}

/**
 * One compiled gateway in front of one in-process fake upstream for a whole test file: started
 * in `beforeAll`, stopped in `afterAll` (both bounded), instead of the same start/stop code in
 * every file.
 */
export function gatewayFixture(options: FixtureOptions = {}): GatewayFixtureHandle {
  let gw: GatewayProcess | undefined;
  let fake: FakeUpstream | undefined;
  const fixture: GatewayFixtureHandle = {
    get gw() {
      if (!gw) throw new Error("the gateway fixture is used before beforeAll ran");
      return gw;
    },
    get fake() {
      if (!fake) throw new Error("the gateway fixture is used before beforeAll ran");
      return fake;
    },
    get adminKey() {
      return fixture.gw.adminKey ?? "";
    },
    url: (path) => `${fixture.gw.url}${path}`,
  };
  beforeAll(async () => {
    fake = await startFakeUpstream();
    const extra = typeof options.config === "function" ? options.config(fake.url) : (options.config ?? {});
    const { models = ["fake-model"], config: _config, ...spawn } = options;
    gw = await spawnGateway({ ...spawn, config: fakeRoutesConfig(fake.url, models, extra) });
  }, 30_000);
  afterAll(async () => {
    try {
      await gw?.stop("SIGTERM", 10_000);
    } finally {
      await fake?.stop();
    }
  }, 20_000);
  return fixture;
}
