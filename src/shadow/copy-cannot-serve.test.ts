import { expect, test } from "bun:test";
import { claudeShadowedGateway } from "../testing/claude-shadowed-gateway.ts";
import { waitForValue } from "../testing/wait-for.ts";

// A call the shadow route has no way to serve (a legacy /v1/completions call, which only an
// upstream of OpenAI's dialect takes, shadowed to a Messages-only route) is not copied: its copy
// failed 400 unsupported_operation before any request, counted against the candidate, which never
// saw it (MindgwShadowCopiesFailing fired on it).

const { post: call, shadowPage } = claudeShadowedGateway();

test("a legacy completions call shadowed to a Messages-only route is not copied; a chat call is", async () => {
  const legacy = await call("/v1/completions", { model: "m", prompt: "say hi", max_tokens: 5 });
  expect(legacy.status).toBe(200);
  const legacyId = legacy.headers.get("x-request-id");
  const chat = await call("/v1/chat/completions", {
    model: "m",
    messages: [{ role: "user", content: "hi" }],
  });
  expect(chat.status).toBe(200);
  const chatId = chat.headers.get("x-request-id");
  const page = await waitForValue("the chat call's pair", async () => {
    const read = await shadowPage();
    return read.records.some((record) => record.requestId === chatId) ? read : undefined;
  });
  expect(page.records.map((record) => record.requestId)).not.toContain(legacyId);
  expect(page.records.find((record) => record.requestId === chatId)?.shadow.status).toBe(200);
  // Nothing counted against the candidate: its one copy answered.
  expect(page.counts?.ended).toEqual([{ provider: "claude", outcome: "ok", count: 1 }]);
});
