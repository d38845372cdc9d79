import { afterAll, beforeAll, expect, test } from "bun:test";
import { type AuditRecord, type Gateway, GatewayError, type Policy } from "./index.ts";
import { jwtCaller } from "./testing/jwt-caller.ts";
import { oneMockModel } from "./testing/one-mock-model.ts";
import { callAs, recordingGateway, recordOf } from "./testing/recording-gateway.ts";
import { recordingLogger } from "./testing/recording-logger.ts";

// An embedder's policy whose `admit` returns what is not a headers record, told by the bearer token:
// a JavaScript policy's `false` or `{ allowed: false }` meant as a refusal. Each is a 500 in the
// caller's dialect with its row and a log line naming the policy, never an admission it did not give.

const answers: Record<string, unknown> = {
  false: false,
  nothing: undefined,
  null: null,
  text: "ok",
  "a list": [],
  "a verdict": { allowed: false },
  "a promised false": Promise.resolve(false),
};

const policy: Policy = {
  admit: (principal) => {
    // A refusal whose own headers are no header values (a retry time read with its line's end).
    if (principal.name === "torn")
      throw new GatewayError({
        status: 429,
        code: "rate_limited",
        message: "quota used",
        headers: { "retry-after": "7\r\nx-injected: 1" },
        refusedBy: "requests",
      });
    return (principal.name in answers ? answers[principal.name] : { "x-policy-note": "counted" }) as Readonly<
      Record<string, string>
    >;
  },
  record: () => 0,
};

const { logger, lines } = recordingLogger();
let gateway: Gateway;
let finished: AuditRecord[];
beforeAll(async () => {
  const auth = async (headers: Headers) => ({
    ...jwtCaller,
    name: headers.get("authorization")?.replace(/^Bearer /, "") ?? "",
  });
  ({ gateway, finished } = await recordingGateway(oneMockModel(), logger, { auth, policy }));
});
afterAll(() => gateway.stop());

const ask = (path: string, token: string, body: object) => callAs(gateway, token, "POST", path, body);
const rowOf = (response: Response) => recordOf(finished, response);
const loggedFor = (response: Response) =>
  lines.find(
    (line) =>
      line.fields?.request_id === response.headers.get("x-request-id") &&
      JSON.stringify(line).includes("the embedder's policy (admit) returned no headers record"),
  );

for (const token of Object.keys(answers))
  test(`an admit that returns ${token}: a 500 in each caller's dialect with its row and a log line, and the gateway serves on`, async () => {
    const openai = await ask("/v1/chat/completions", token, {
      model: "mock",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(openai.status).toBe(500);
    expect(((await openai.json()) as { error?: { code?: unknown } }).error?.code).toBe("internal_error");
    expect((await rowOf(openai)).status).toBe(500);
    expect(loggedFor(openai)).toBeDefined();

    const anthropic = await ask("/v1/messages", token, {
      model: "mock",
      max_tokens: 8,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(anthropic.status).toBe(500);
    expect(((await anthropic.json()) as { type?: unknown }).type).toBe("error");
    expect((await rowOf(anthropic)).status).toBe(500);

    const served = await ask("/v1/chat/completions", "good", {
      model: "mock",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(served.status).toBe(200);
  });

test("an admit's own headers record is added to the answer", async () => {
  const noted = await gateway.handle(
    new Request("http://gw/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer good" },
      body: JSON.stringify({ model: "mock", messages: [{ role: "user", content: "hi" }] }),
    }),
  );
  expect(noted.status).toBe(200);
  expect(noted.headers.get("x-policy-note")).toBe("counted");
});

test("a refusal whose own headers are no header values: its status and words in each caller's dialect, with the request's id alone, its row and a log line", async () => {
  const openai = await ask("/v1/chat/completions", "torn", {
    model: "mock",
    messages: [{ role: "user", content: "hi" }],
  });
  expect(openai.status).toBe(429);
  expect(await openai.json()).toMatchObject({ error: { message: "quota used", type: "rate_limit_error" } });
  expect(openai.headers.get("x-injected")).toBeNull();
  expect((await rowOf(openai)).status).toBe(429);

  const anthropic = await ask("/v1/messages", "torn", {
    model: "mock",
    max_tokens: 8,
    messages: [{ role: "user", content: "hi" }],
  });
  expect(anthropic.status).toBe(429);
  expect(await anthropic.json()).toMatchObject({
    type: "error",
    error: { type: "rate_limit_error", message: "quota used" },
  });
  expect(anthropic.headers.get("request-id")).toBe(anthropic.headers.get("x-request-id"));
  expect((await rowOf(anthropic)).status).toBe(429);
  expect(
    lines.find(
      (line) =>
        line.message === "an answer's headers were refused" &&
        line.fields?.request_id === anthropic.headers.get("x-request-id"),
    ),
  ).toBeDefined();
});
