import { expect, test } from "bun:test";
import { claudeShadowedGateway } from "../testing/claude-shadowed-gateway.ts";
import { waitForValue } from "../testing/wait-for.ts";

// Under `translation.unsupported: reject`, a copy its route cannot carry whole (a chat call's
// `logit_bias`, which a Messages route has no field for) is not sent and not compared: it was
// sent without the field and compared, as an answer to the caller's request, against one to
// another request. It is counted as skipped, never against the candidate, which never saw it.

const { post, shadowPage } = claudeShadowedGateway({ unsupported: "reject" });

const chat = (body: object) =>
  post("/v1/chat/completions", { model: "m", messages: [{ role: "user", content: "hi" }], ...body });

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
