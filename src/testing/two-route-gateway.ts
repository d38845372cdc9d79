import { afterAll, beforeAll } from "bun:test";
import OpenAI from "openai";
import { type CannedUpstream, startCannedUpstream } from "../../test/fake-upstream/canned-upstream.ts";
import { parseConfig } from "../config/load-config.ts";
import type { STRATEGIES } from "../config/model-config.ts";
import { recordingGateway } from "./recording-gateway.ts";

// What the tests of one routing strategy in-process share (test support, not shipped): model `m`
// on two canned upstreams, a gateway that never retries (each request tries its routes once, so a
// test counts exactly where it went) and the OpenAI SDK in front of it.

/** The gateway's two upstreams, its address and key, and an SDK client on it. */
export interface TwoRouteGateway {
  /** Provider `a`, route `m-a`: first in config order. */
  readonly upstreamA: CannedUpstream;
  /** Provider `b`, route `m-b`. */
  readonly upstreamB: CannedUpstream;
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly base: string;
  readonly adminKey: string;
  /** The OpenAI SDK on `${base}/v1` as the admin, no retries of its own. */
  readonly client: OpenAI;
}

/**
 * Two canned upstreams and a gateway routing model `m` to them by `strategy`, started before the
 * file's tests and stopped after them. Read it from the tests: it is started in `beforeAll`.
 */
export function twoRouteGateway(strategy: (typeof STRATEGIES)[number]): TwoRouteGateway {
  let started: (TwoRouteGateway & { stop(): Promise<void> }) | undefined;
  beforeAll(async () => {
    const upstreamA = startCannedUpstream();
    const upstreamB = startCannedUpstream();
    const { gateway, adminKey } = await recordingGateway(
      parseConfig({
        storage: { path: ":memory:" },
        providers: [
          { name: "a", type: "openai", base_url: `${upstreamA.url}/v1` },
          { name: "b", type: "openai", base_url: `${upstreamB.url}/v1` },
        ],
        models: [
          {
            name: "m",
            strategy,
            routes: [
              { provider: "a", model: "m-a" },
              { provider: "b", model: "m-b" },
            ],
          },
        ],
        routing: { retries: 0 },
      }),
    );
    const base = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
    const client = new OpenAI({ apiKey: adminKey, baseURL: `${base}/v1`, maxRetries: 0 });
    const stop = async () => {
      await gateway.stop();
      await upstreamA.stop();
      await upstreamB.stop();
    };
    started = { upstreamA, upstreamB, base, adminKey, client, stop };
  });
  afterAll(() => started?.stop());
  const running = (): TwoRouteGateway => {
    if (started === undefined) throw new Error("the two-route gateway is read before beforeAll started it");
    return started;
  };
  return {
    get upstreamA() {
      return running().upstreamA;
    },
    get upstreamB() {
      return running().upstreamB;
    },
    get base() {
      return running().base;
    },
    get adminKey() {
      return running().adminKey;
    },
    get client() {
      return running().client;
    },
  };
}
