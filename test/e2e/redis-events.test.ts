import { beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { RedisClient } from "bun";
import OpenAI from "openai";
import type { GatewayEvent } from "../../src/audit/gateway-event.ts";
import { fakeRoutesConfig } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { type RedisServer, startRedis } from "./harness/redis-server.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(60_000);

// `events.redis_stream` through the compiled binary: with its `url` set, every
// finished request is appended to a Redis stream (XADD), read back here with XRANGE and XREAD
// as a consumer would. While Redis is away requests are served as usual; events wait in a
// bounded queue (the oldest dropped past `max_queue`: one warning a burst, and the burst's count once
// appends resume) and the rest are
// appended once Redis is back.

const STREAM = "mindgw:test-events";
const MAX_QUEUE = 5;
let redis: RedisServer;
let gw: GatewayProcess;

const fx = gatewayFixture({
  fakeRoutes: false,
  config: async (_fakeUrl, { fake, own }) => {
    // A single node on SQLite names its Redis with the stream (a cluster node's is cluster.redis_url).
    redis = own(await startRedis());
    return fakeRoutesConfig(fake.url, ["m1"], {
      events: {
        redis_stream: { url: redis.url, stream: STREAM, types: ["request.finished"], max_queue: MAX_QUEUE },
      },
    });
  },
});

beforeAll(() => {
  gw = fx.gw;
});

type Finished = Extract<GatewayEvent, { type: "request.finished" }>;
/** An XRANGE/XREAD entry: its id and its field list (`event`, the JSON, then `event_id`). */
type Entry = [string, string[]];

const eventOf = ([, fields]: Entry) => JSON.parse(fields[1] ?? "null") as GatewayEvent;

async function withRedis<T>(use: (client: RedisClient) => Promise<T>): Promise<T> {
  const client = new RedisClient(redis.url, { autoReconnect: false });
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

const streamEvents = () =>
  withRedis(async (client) => ((await client.send("XRANGE", [STREAM, "-", "+"])) as Entry[]).map(eventOf));

const client = () => new OpenAI({ apiKey: fx.adminKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });

async function chat(text: string): Promise<string> {
  const { response } = await client()
    .chat.completions.create({ model: "m1", messages: [{ role: "user", content: text }] })
    .withResponse();
  return response.headers.get("x-request-id") ?? "";
}

const finishedFor = (events: GatewayEvent[], requestId: string) =>
  events.find((e): e is Finished => e.type === "request.finished" && e.record.requestId === requestId);

test("each finished request is one stream entry with its audit record; only the types configured", async () => {
  const { data, response } = await client()
    .chat.completions.create({ model: "m1", messages: [{ role: "user", content: "to the stream" }] })
    .withResponse();
  expect(data.choices[0]?.message.content).toBe("echo: to the stream");
  const id = response.headers.get("x-request-id") ?? "";
  const event = await waitFor("the entry for the request", async () => finishedFor(await streamEvents(), id));
  expect(event.record).toMatchObject({
    requestId: id,
    model: "m1",
    status: 200,
    stream: false,
    route: "provider:fake",
    inputTokens: data.usage?.prompt_tokens,
    outputTokens: data.usage?.completion_tokens,
  });
  // A streamed request too, read back with a blocking XREAD from the end of the stream.
  const reading = withRedis(
    async (consumer) =>
      // RESP3: a map of stream name to its entries; null when the block timed out.
      (await consumer.send("XREAD", ["BLOCK", "20000", "COUNT", "10", "STREAMS", STREAM, "$"])) as Record<
        string,
        Entry[]
      > | null,
  );
  // The XREAD is parked on the server before the request is sent (else `$` could miss it).
  await waitFor("the XREAD to block", () =>
    withRedis(
      async (c) => Number(/blocked_clients:(\d+)/.exec(String(await c.send("INFO", ["clients"])))?.[1]) > 0,
    ),
  );
  const { data: stream, response: streamed } = await client()
    .chat.completions.create({ model: "m1", messages: [{ role: "user", content: "streamed" }], stream: true })
    .withResponse();
  for await (const _ of stream) {
    // drain
  }
  const read = await reading;
  const entries = read?.[STREAM] ?? [];
  const streamedEvent = finishedFor(entries.map(eventOf), streamed.headers.get("x-request-id") ?? "");
  expect(streamedEvent?.record).toMatchObject({ model: "m1", status: 200, stream: true });
  // Only `request.finished` was asked for: nothing else is appended.
  expect((await streamEvents()).every((e) => e.type === "request.finished")).toBe(true);
});

test("Redis away: requests are served, events queue (oldest dropped past max_queue, counted), the rest go in when it is back", async () => {
  await redis.kill();
  const ids: string[] = [];
  // Every request is answered while Redis is down: the sink never waits on Redis.
  for (let i = 0; i < MAX_QUEUE + 3; i++) ids.push(await chat(`while redis is away ${i}`));
  // One warning for the burst, however many it drops; the first append after it says how many.
  const warnings = () =>
    [...gw.stderr.all.matchAll(/redis stream events dropped .*reason=queue_full/g)].length;
  await waitFor("the burst's warning", () => warnings() === 1);
  await redis.start(); // empty again (no persistence): what is appended now is the backlog
  const kept = ids.slice(3);
  const appended = await waitFor(
    "the backlog to be appended",
    async () => {
      const events = await streamEvents().catch(() => [] as GatewayEvent[]);
      return kept.every((id) => finishedFor(events, id)) ? events : undefined;
    },
    20_000,
    100,
  );
  // In order, and the dropped ones are not there.
  const order = appended.flatMap((e) => (e.type === "request.finished" ? [e.record.requestId] : []));
  expect(order.filter((id) => ids.includes(id))).toEqual(kept);
  expect(warnings()).toBe(1);
  const resumed = await waitFor("the burst's end", () =>
    /redis stream delivering again .*dropped=(\d+)/.exec(gw.stderr.all),
  );
  expect(Number(resumed[1])).toBe(3);
  // And new events flow again.
  const after = await chat("redis is back");
  await waitFor("a new entry", async () => finishedFor(await streamEvents(), after));
});
