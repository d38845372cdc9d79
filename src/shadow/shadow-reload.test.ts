import { afterAll, beforeAll, expect, test } from "bun:test";
import { type FakeUpstream, startFakeUpstream } from "../../test/fake-upstream/fake-upstream.ts";
import type { Config } from "../config/config-schema.ts";
import { parseConfig } from "../config/load-config.ts";
import { createGateway, type Gateway } from "../gateway/create-gateway.ts";
import { silentLogger } from "../log/logger.ts";
import { tempDir } from "../storage/sqlite/test-helpers.ts";
import { handReloadedSource } from "../testing/hand-reloaded-source.ts";
import { waitForValue } from "../testing/wait-for.ts";
import type { ShadowPage } from "./shadow-api-schema.ts";

// A reload changes a model's shadow for the next request: its sample, its removal, its route.

/** A model's `shadow:` as written. */
type ModelShadow = { provider: string; model: string; sample: number };

const tmp = tempDir();
let fake: FakeUpstream;
let gateway: Gateway;
let edits: ReturnType<typeof handReloadedSource>;
let admin = "";

const configOf = (shadow: ModelShadow | undefined): Config =>
  parseConfig({
    storage: { path: tmp.file("gw.db") },
    providers: ["fake", "twin", "twin2"].map((name) => ({
      name,
      type: "openai",
      base_url: `${fake.url}/v1`,
    })),
    models: [{ name: "m", routes: [{ provider: "fake", model: "served" }], ...(shadow ? { shadow } : {}) }],
    routing: { retries: 0 },
  });

beforeAll(async () => {
  fake = await startFakeUpstream();
  edits = handReloadedSource(configOf({ provider: "twin", model: "cand", sample: 1 }));
  gateway = await createGateway({
    configSource: edits.source,
    logger: silentLogger,
    onBootstrapKey: (key) => {
      admin = key;
    },
  });
});
afterAll(async () => {
  await gateway.stop();
  await fake.stop();
  tmp.cleanup();
});

const page = async (): Promise<ShadowPage> =>
  (await (
    await gateway.handle(
      new Request("http://gw/admin/api/shadow", { headers: { authorization: `Bearer ${admin}` } }),
    )
  ).json()) as ShadowPage;

/** One chat call answered; its request id. */
async function ask(): Promise<string> {
  const res = await gateway.handle(
    new Request("http://gw/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    }),
  );
  expect(res.status).toBe(200);
  await res.text();
  return res.headers.get("x-request-id") ?? "";
}

const reload = (shadow: ModelShadow | undefined): Promise<void> => edits.reload(configOf(shadow));

test("a reload's sample, removal and new route apply to the next request", async () => {
  const first = await ask();
  await reload({ provider: "twin", model: "cand", sample: 0 });
  await ask();
  await reload(undefined);
  await ask();
  await reload({ provider: "twin2", model: "cand2", sample: 1 });
  const last = await ask();
  const pairs = await waitForValue("the last request's pair", async () => {
    const records = (await page()).records;
    return records.some((pair) => pair.requestId === last) ? records : undefined;
  });
  expect(pairs.map((pair) => [pair.requestId, pair.shadow.route, pair.shadow.upstreamModel])).toEqual([
    [last, "provider:twin2", "cand2"],
    [first, "provider:twin", "cand"],
  ]);
  // A copy is counted from its sampling: the calls between were never copied, not merely unrecorded.
  const counts = (await page()).counts;
  expect(counts?.inFlight).toBe(0);
  expect(counts?.ended.reduce((sum, over) => sum + over.count, 0)).toBe(2);
});
