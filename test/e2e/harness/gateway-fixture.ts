import { afterAll, afterEach, beforeAll } from "bun:test";
import { rmSync } from "node:fs";
import { type FakeUpstream, startFakeUpstream } from "../../fake-upstream/fake-upstream.ts";
import { type NodeOptions, spawnNode } from "./cluster-nodes.ts";
import { fakeRoutesConfig } from "./fake-config.ts";
import { type GatewayProcess, type SpawnOptions, spawnGateway } from "./spawn-gateway.ts";
import { tempDir } from "./temp-dir.ts";

/** Anything the fixture can stop: a fake, a worker, a database server, a browser. */
export interface Stoppable {
  stop(): unknown;
}

/** A fake provider the gateway routes to: the fake upstream, the fake clouds, a process. */
export interface FakeServer extends Stoppable {
  readonly url: string;
}

/** What the fixture's setup callbacks see, before the gateway starts. */
export interface FixtureContext<F> {
  /** The fake (throws when the fixture runs without one). */
  readonly fake: F;
  /** The gateway's directory (config, database), created before anything starts. */
  readonly dir: string;
  /** Stops `thing` in `afterAll`, after everything started later (a stack). */
  own<T extends Stoppable>(thing: T): T;
  /** Runs `stop` in `afterAll`, in the same stack as `own`. */
  defer(stop: () => unknown): void;
}

/** What a test file gets from `gatewayFixture`: filled in before its first test runs. */
export interface GatewayFixtureHandle<F = FakeUpstream> extends FixtureContext<F> {
  /** The gateway started in `beforeAll` (the latest one after `restart`). */
  readonly gw: GatewayProcess;
  /** The bootstrap admin key of the first start (a restart on the same store prints none). */
  readonly adminKey: string;
  /** `${gw.url}${path}` */
  url(path: string): string;
  /**
   * Stops the gateway (`signal`, default SIGTERM) and starts it again on the same directory, so
   * the same database and config file (or `config`, when given, written over it).
   */
  restart(options?: {
    signal?: NodeJS.Signals;
    config?: object | string;
    env?: Record<string, string>;
    /** Listen on this port (the previous one, say) instead of a fresh one. */
    port?: number;
  }): Promise<GatewayProcess>;
  /**
   * Starts a further gateway for the running test only, stopped with SIGKILL after the test
   * whatever happened (`stop` it yourself to test a clean shutdown). Without `dir` it gets a new
   * directory that outlives its process until the test ends, so a second `spawn` with
   * `{ dir: first.dir, port: first.port }` restarts it on the same database and port.
   */
  spawn(options?: SpawnOptions): Promise<GatewayProcess>;
  /** Runs `stop` after the running test, before the gateways it spawned stop (a stack). */
  deferTest(stop: () => unknown): void;
  /** Starts a further gateway for the whole file (a second node, say), stopped with the rest. */
  startGateway(options?: SpawnOptions): Promise<GatewayProcess>;
  /** Starts one node of a test cluster (PostgreSQL, Redis) for the whole file, stopped with the rest. */
  startNode(options: NodeOptions): Promise<GatewayProcess>;
}

export type ConfigInput<F> =
  | object
  | string
  | ((fakeUrl: string, ctx: FixtureContext<F>) => object | string | Promise<object | string>);

export interface FixtureOptions<F> extends Omit<SpawnOptions, "config" | "env" | "dir"> {
  /** The gateway's directory (a `tempDir()` the file reads); the fixture removes it at the end. */
  dir?: string;
  /** Model names routed to the fake's OpenAI side (same upstream name). Default `["fake-model"]`. */
  models?: readonly string[];
  /**
   * Config keys merged over the fake routes (`fakeRoutes: false`: the whole config), or a
   * function of the fake's URL and the context (it may `own` what it starts, e.g. a database).
   */
  config?: ConfigInput<F>;
  /** `false`: use `config` as it is, without the fake upstream's providers/models/routing. */
  fakeRoutes?: boolean;
  /** Environment of the gateway process, or a function of the context (files in `dir`). */
  env?:
    | Record<string, string>
    | ((ctx: FixtureContext<F>) => Record<string, string> | Promise<Record<string, string>>);
  /** `false`: no gateway in `beforeAll` (the file starts its own per test with `spawn`). */
  gateway?: boolean;
  /** How long the gateway may take to stop on SIGTERM at the end (then SIGKILL). Default 10 s. */
  stopTimeoutMs?: number;
}

export interface FixtureOptionsWithFake<F extends FakeServer> extends FixtureOptions<F> {
  /** Starts the fake the gateway talks to (`startFakeCloud`, `spawnFakeUpstream`…); `null`: none. */
  fake: (() => Promise<F>) | null;
}

/** Every stop is bounded; a stop that hangs or throws does not keep the others from running. */
const STOP_BOUND_MS = 20_000;
async function stopAll(stops: (() => unknown)[]): Promise<void> {
  let first: unknown;
  for (const stop of stops.reverse()) {
    let timer: Timer | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(stop),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`a fixture stop took over ${STOP_BOUND_MS} ms`)),
            STOP_BOUND_MS,
          );
        }),
      ]);
    } catch (error) {
      first ??= error;
    } finally {
      clearTimeout(timer);
    }
  }
  if (first !== undefined) throw first;
}

/**
 * One compiled gateway in front of one fake for a whole test file: the fake, anything the file
 * `own`s (workers, database servers, further nodes) and the gateway start in `beforeAll` and stop
 * in `afterAll` in reverse order, every step bounded, instead of the same start/stop code in every
 * file. The fake defaults to the in-process OpenAI/Anthropic fake upstream. With another fake,
 * name its type when a callback destructures the context (`gatewayFixture<FakeCloud>({ … })`):
 * TypeScript would otherwise infer it from that binding pattern.
 */
export function gatewayFixture(options?: FixtureOptions<FakeUpstream>): GatewayFixtureHandle<FakeUpstream>;
export function gatewayFixture<F extends FakeServer>(
  options: FixtureOptionsWithFake<F>,
): GatewayFixtureHandle<F>;
export function gatewayFixture<F extends FakeServer>(
  options: FixtureOptions<F> & { fake?: (() => Promise<F>) | null } = {},
): GatewayFixtureHandle<F> {
  const {
    fake: startFake = startFakeUpstream as unknown as () => Promise<F>,
    models = ["fake-model"],
    config,
    fakeRoutes = true,
    env,
    gateway = true,
    stopTimeoutMs = 10_000,
    dir: givenDir,
    ...spawn
  } = options;
  let gw: GatewayProcess | undefined;
  let fake: F | undefined;
  let dir: string | undefined;
  let adminKey = "";
  let spawnOptions: SpawnOptions = {};
  const stops: (() => unknown)[] = [];
  const perTest: (() => unknown)[] = [];
  const before = (what: string): never => {
    throw new Error(`the gateway fixture's ${what} is used before beforeAll ran`);
  };

  const fixture: GatewayFixtureHandle<F> = {
    get gw() {
      return gw ?? before("gateway");
    },
    get fake() {
      if (startFake === null) throw new Error("this gateway fixture runs without a fake");
      return fake ?? before("fake");
    },
    get dir() {
      return dir ?? before("dir");
    },
    get adminKey() {
      return adminKey;
    },
    url: (path) => `${fixture.gw.url}${path}`,
    own(thing) {
      stops.push(() => thing.stop());
      return thing;
    },
    defer(stop) {
      stops.push(stop);
    },
    async restart(next = {}) {
      const current = fixture.gw;
      await current.stop(next.signal ?? "SIGTERM", stopTimeoutMs);
      if (next.config !== undefined) spawnOptions = { ...spawnOptions, config: next.config };
      if (next.env !== undefined) spawnOptions = { ...spawnOptions, env: next.env };
      gw = await spawnGateway({ ...spawnOptions, ...(next.port === undefined ? {} : { port: next.port }) });
      return gw;
    },
    deferTest(stop) {
      perTest.push(stop);
    },
    async startGateway(extra = {}) {
      return fixture.own(await spawnGateway(extra));
    },
    async startNode(node) {
      return fixture.own(await spawnNode(node));
    },
    async spawn(extra = {}) {
      const own = extra.dir === undefined ? tempDir().path : undefined;
      if (own !== undefined) perTest.push(() => rmSync(own, { recursive: true, force: true }));
      const started = await spawnGateway({ ...extra, ...(own === undefined ? {} : { dir: own }) });
      perTest.push(() => started.stop("SIGKILL", 5000));
      return started;
    },
  };

  beforeAll(async () => {
    const folder = givenDir ?? tempDir().path;
    dir = folder;
    stops.push(() => rmSync(folder, { recursive: true, force: true }));
    if (startFake !== null) fake = fixture.own(await startFake());
    if (!gateway) return;
    const fakeUrl = fake?.url ?? "";
    const given = typeof config === "function" ? await config(fakeUrl, fixture) : (config ?? {});
    const full = typeof given === "string" || !fakeRoutes ? given : fakeRoutesConfig(fakeUrl, models, given);
    const environment = typeof env === "function" ? await env(fixture) : env;
    spawnOptions = { ...spawn, dir, config: full, ...(environment ? { env: environment } : {}) };
    gw = await spawnGateway(spawnOptions);
    adminKey = gw.adminKey ?? "";
    stops.push(() => gw?.stop("SIGTERM", stopTimeoutMs));
  }, 60_000);

  afterEach(async () => {
    await stopAll(perTest.splice(0));
  }, 30_000);

  afterAll(async () => {
    await stopAll(stops.splice(0));
  }, 60_000);

  return fixture;
}
