import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { type AuditRecord, createGateway, type Gateway, parseConfig, type RedactBody } from "./index.ts";
import { jwtCaller } from "./testing/jwt-caller.ts";
import { recordingLogger } from "./testing/recording-logger.ts";
import { waitForValue } from "./testing/wait-for.ts";

// An embedder's redactBody (audit.bodies: true) that answers no text, told by the caller's name: a
// JavaScript hook's number or object, an `async` PII filter's promise (one that rejects too). The
// hook has failed, as one that throws has: the row is stored with "[redaction failed]" in place of
// each body, never the body unredacted. Earlier releases threw encoding the row: its request's end
// went unreported, the audit storage was taken for failed (every caller refused 503
// audit_unavailable until it "recovered") and the row was lost or stored without its bodies.

/** What the hook answers, made at each call (a rejection made before it would be nobody's). */
const answers: Record<string, () => unknown> = {
  number: () => 42,
  object: () => ({ redacted: true }),
  promise: () => Promise.resolve("redacted later"),
  rejection: () => Promise.reject(new Error("PII service down")),
  nothing: () => undefined,
};
let answering = "";
const redactBody = ((body: string) => {
  const answer = answers[answering];
  return answer ? answer() : `kept ${body.length}`;
}) as RedactBody;

const { logger, lines } = recordingLogger();
const finished: AuditRecord[] = [];
let gateway: Gateway;
let client: OpenAI;
beforeAll(async () => {
  gateway = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      audit: { bodies: true },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "mock", routes: [{ provider: "demo", model: "mock" }] }],
    }),
    auth: async () => jwtCaller,
    redactBody,
    logger,
    events: [{ publish: (event) => event.type === "request.finished" && finished.push(event.record) }],
  });
  const { port } = gateway.listen("127.0.0.1", 0);
  client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: "t", maxRetries: 0 });
});
afterAll(() => gateway.stop());

/** A chat call answered while the hook answers as `name` says, and its request's id. */
async function chatWhile(name: string): Promise<string> {
  answering = name;
  const { response } = await client.chat.completions
    .create({ model: "mock", messages: [{ role: "user", content: "hi" }] })
    .withResponse();
  expect(response.status).toBe(200);
  return response.headers.get("x-request-id") ?? "";
}

const storedRow = (requestId: string) =>
  waitForValue(`the audit row of ${requestId}`, async () => {
    const entries = await gateway.storage.audit.select({ order: "asc", bodies: true }, null, 1000);
    return entries.find((entry) => entry.record.requestId === requestId)?.record;
  });

for (const name of Object.keys(answers))
  test(`a redactBody that answers ${name}: the row stored with "[redaction failed]" for each body, its end reported, the audit healthy`, async () => {
    const requestId = await chatWhile(name);
    const row = await storedRow(requestId);
    expect([row.requestBody, row.responseBody]).toEqual(["[redaction failed]", "[redaction failed]"]);
    await waitForValue("its end reported", () => finished.some((record) => record.requestId === requestId));
    // A hook that answers again is used again, and the audit never stopped taking rows.
    const next = await storedRow(await chatWhile("a text"));
    expect(next.requestBody).toMatch(/^kept \d+$/);
    const failures = lines.filter((line) =>
      /audit storage failed|reporting a request's end failed/.test(line.message),
    );
    expect(failures).toEqual([]);
  });
