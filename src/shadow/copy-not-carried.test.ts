import { expect, test } from "bun:test";
import { parseConfig } from "../config/load-config.ts";
import { shadowedGateway } from "../testing/shadowed-gateway.ts";
import { waitForValue } from "../testing/wait-for.ts";
import type { ShadowPage } from "./shadow-api-schema.ts";

// Under `translation.unsupported: reject`, a copy its route cannot carry whole (a chat call's
// `logit_bias`, which a Messages route has no field for) is not sent and not compared: it was
// sent without the field and compared, as an answer to the caller's request, against one to
// another request. It is counted as skipped, never against the candidate, which never saw it.

const gw = shadowedGateway(({ baseUrl, dbPath }) =>
  parseConfig({
    storage: { path: dbPath },
    providers: [
      { name: "fake", type: "openai", base_url: baseUrl },
      { name: "claude", type: "anthropic", base_url: baseUrl.replace(/\/v1$/, ""), api_key: "sk-ant-test" },
    ],
    models: [
      {
        name: "m",
        routes: [{ provider: "fake", model: "served" }],
        shadow: { provider: "claude", model: "candidate", sample: 1 },
      },
    ],
    translation: { unsupported: "reject" },
  }),
);

const chat = (body: object) =>
  gw.gateway.handle(
    new Request("http://gw/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], ...body }),
    }),
  );

const shadowPage = async () =>
  (await (
    await gw.gateway.handle(
      new Request("http://gw/admin/api/shadow", { headers: { authorization: `Bearer ${gw.adminKey}` } }),
    )
  ).json()) as ShadowPage;

test("under translation.unsupported: reject, a copy that would go without a field is skipped and counted, not compared", async () => {
  const biased = await chat({ logit_bias: { "50256": -100 } });
  // The caller's own route carries the field: its answer is whole.
  expect(biased.status).toBe(200);
  const biasedId = biased.headers.get("x-request-id");
  const skipped = await waitForValue("the skipped copy counted", async () => {
    const counts = (await shadowPage()).counts;
    return counts && counts.skipped > 0 ? counts : undefined;
  });
  expect(skipped.skipped).toBe(1);
  const plain = await chat({});
  const plainId = plain.headers.get("x-request-id");
  const page = await waitForValue("the plain call's pair", async () => {
    const read = await shadowPage();
    return read.records.some((record) => record.requestId === plainId) ? read : undefined;
  });
  expect(page.records.map((record) => record.requestId)).not.toContain(biasedId);
  // Only the copy that was sent ended, and it answered: nothing counted against the candidate.
  expect(page.counts?.ended).toEqual([{ provider: "claude", outcome: "ok", count: 1 }]);
  expect(page.counts?.skipped).toBe(1);
});
