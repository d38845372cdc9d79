import { afterAll, expect, test } from "bun:test";
import { createGateway, type Gateway, type Policy, parseConfig, silentLogger } from "../index.ts";
import { jwtCaller } from "../testing/jwt-caller.ts";

// An answer whose own headers are refused (an embedder's policy gave one no header may carry)
// still reaches the caller in its dialect with its request id, in process and on a socket; and
// nothing ever answers with Bun's development page, which shows source lines.

const badHeaders: Policy = {
  admit: () => ({ "x-policy-note": "line one\nline two" }),
  record: () => 0,
};
let gateway: Gateway | undefined;
afterAll(() => gateway?.stop());

const chat = (model: string) =>
  new Request("http://localhost/v1/chat/completions", {
    method: "POST",
    headers: { authorization: "Bearer any", "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
  });

test("an answer whose headers are refused is a 500 in the caller's dialect with its request id", async () => {
  gateway = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      auth: { bootstrap_admin: false },
      providers: [{ name: "mock", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "mock", model: "m" }] }],
    }),
    auth: async () => ({ ...jwtCaller, name: "app" }),
    policy: badHeaders,
    logger: silentLogger,
  });
  const inProcess = await gateway.handle(chat("m"));
  expect(inProcess.status).toBe(500);
  expect(inProcess.headers.get("x-request-id")).toMatch(/^req_/);
  expect(await inProcess.json()).toMatchObject({ error: { type: "server_error", code: "internal_error" } });

  const { port } = gateway.listen("127.0.0.1", 0);
  const onSocket = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, chat("m"));
  const text = await onSocket.text();
  expect(onSocket.status).toBe(500);
  expect(onSocket.headers.get("content-type")).toContain("application/json");
  expect(text).not.toContain("__bunfallback");
  expect(text).not.toContain("source_lines");
});
