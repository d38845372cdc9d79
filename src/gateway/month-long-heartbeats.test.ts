import { afterAll, expect, test } from "bun:test";
import { parseConfig } from "../config/load-config.ts";
import { LONGEST_TIMER_MS } from "../core/timer-delay.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";

// `workers.heartbeat_timeout` of 90 days (as "never drop a quiet worker" is written): the heartbeat,
// a third of it, is 30 days, past setTimeout's 2^31 - 1 ms, which Bun fires after 1 ms. The
// gateway's heartbeat to each worker, and the worker's own (it takes the gateway's, `registered`),
// would then be sent every millisecond, as would the worker's silence check.

const { gateway, adminKey } = await recordingGateway(
  parseConfig({ storage: { path: ":memory:" }, workers: { enabled: true, heartbeat_timeout: "90d" } }),
);
afterAll(() => gateway.stop());

test("a heartbeat_timeout of 90 days: the heartbeat the gateway keeps and tells its workers is one a timer holds", async () => {
  const answer = await gateway.handle(
    new Request("http://localhost/admin/api/workers", { headers: { authorization: `Bearer ${adminKey}` } }),
  );
  expect(answer.status).toBe(200);
  const listed = (await answer.json()) as { heartbeatMs: number; heartbeatTimeoutMs: number };
  expect(listed.heartbeatTimeoutMs).toBe(90 * 24 * 3_600_000);
  expect(listed.heartbeatMs).toBeLessThanOrEqual(LONGEST_TIMER_MS);
});
