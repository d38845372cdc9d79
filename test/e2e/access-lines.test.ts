import { expect, test } from "bun:test";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";

// Served requests' access lines written by the audit thread (docs/OBSERVABILITY.md, "Who writes
// it"), through the compiled binary: with rows still queued when SIGTERM comes, every request
// still has exactly one line, at its level, in the text format.

const fx = gatewayFixture({
  fakeRoutes: false,
  config: (_fakeUrl, { fake }) => ({
    log: { format: "text", level: "info" },
    // Rows wait for the drain: their lines are written when the stop flushes them.
    audit: { flush_ms: 10_000 },
    providers: [{ name: "fake", type: "openai", base_url: `${fake.url}/v1` }],
    models: [{ name: "m1", routes: [{ provider: "fake", model: "fake-model" }] }],
    routing: { retries: 0 },
  }),
});

test("every request leaves one access line through a SIGTERM with its rows still queued", async () => {
  const { gw } = fx;
  const sent = Array.from({ length: 24 }, (_, i) => ({ id: `al-${i}`, model: i % 4 === 3 ? "nope" : "m1" }));
  const statuses = await Promise.all(
    sent.map(async ({ id, model }) => {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { ...bearer(fx.adminKey), "x-request-id": id },
        body: chatBody(model, "hi", { stream: id.endsWith("0") }),
      });
      await res.text();
      return res.status;
    }),
  );
  expect(await gw.stop("SIGTERM")).toBe(0);
  const lines = gw.stderr.all.split("\n").filter((line) => / request request_id=al-/.test(line));
  for (const [i, { id }] of sent.entries()) {
    const mine = lines.filter((line) => line.includes(` request_id=${id} `));
    expect(mine).toHaveLength(1);
    const level = statuses[i] === 200 ? "info" : "warn";
    expect(mine[0]).toMatch(new RegExp(`^\\S+Z ${level} request request_id=${id} .*status=${statuses[i]} `));
  }
  expect(statuses.filter((status) => status === 200)).toHaveLength(18);
});
