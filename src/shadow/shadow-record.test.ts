import { beforeAll, describe, expect, test } from "bun:test";
import { makeRecord } from "../audit/audit-fixture.ts";
import { configSchema } from "../config/config-schema.ts";
import { PriceBook } from "../pricing/price-book.ts";
import { answered } from "./read-copy.ts";
import { loadSchemaCheck } from "./schema-check.ts";
import {
  answerOf,
  type PrimaryFacts,
  pairFacts,
  primaryFacts,
  type RecordRules,
  shadowRecord,
} from "./shadow-record.ts";

// Ajv is loaded before a schema is judged (agreement.ts, `agreementReady`), as the runner does.
beforeAll(loadSchemaCheck);

const config = configSchema.parse({
  providers: [{ name: "twin", type: "openai", base_url: "http://127.0.0.1:1/v1" }],
  models: [{ name: "m", routes: [{ provider: "twin", model: "candidate" }] }],
});
const rules: RecordRules = {
  maxAnswer: 1000,
  keepAnswers: false,
  redact: (text) => text,
  pricing: new PriceBook(config),
};
const primary: PrimaryFacts = {
  requestId: "req_1",
  tenant: null,
  keyId: "key_ci",
  keyName: "ci",
  status: 200,
  errorClass: null,
  latencyMs: 10,
  ttfbMs: null,
  route: "provider:main",
  upstreamModel: "m1",
  inputTokens: 3,
  outputTokens: 4,
  costUsd: 0,
};
const request = { model: "m", stream: false, operation: "chat" as const, body: { model: "m" } };
const facts = pairFacts(request, { label: "provider:twin", upstreamModel: "candidate" });
const chat = (content: string, finish_reason: string) => ({
  choices: [{ index: 0, message: { role: "assistant", content }, finish_reason }],
});

describe("a pair's record", () => {
  test("each side's finish is kept (answers off too), and a candidate cut off by its limit is not exact", () => {
    const primaryAnswer = () => answerOf("chat", { kind: "json", body: chat("four words of text", "stop") });
    const cut = answerOf("chat", { kind: "json", body: chat("four words of text", "length") });
    const copy = answered({ started: performance.now(), ttftMs: null }, undefined, cut);
    const record = shadowRecord(facts, primary, primaryAnswer, copy, 1, rules);
    expect([record.primary.finish, record.shadow.finish]).toEqual(["stop", "length"]);
    expect(record.primary.answer).toBeNull();
    expect(record.agreement).toMatchObject({ exact: false, similarity: 1, finishAgrees: false });
    const same = shadowRecord(facts, primary, primaryAnswer, { ...copy, answer: primaryAnswer() }, 1, rules);
    expect(same.agreement).toMatchObject({ exact: true, finishAgrees: true });
  });

  test("a copy its route sent to one of its workers is recorded under that worker, as the API says (`worker:<name>`); any other under its route", () => {
    const overWorkers = pairFacts(request, { label: "workers", upstreamModel: "candidate" });
    const copy = answered({ started: performance.now(), ttftMs: null }, undefined, null);
    const served = shadowRecord(
      overWorkers,
      primary,
      undefined,
      { ...copy, servedBy: "worker:gpu-1" },
      1,
      rules,
    );
    expect(served.shadow.route).toBe("worker:gpu-1");
    expect(shadowRecord(facts, primary, undefined, copy, 1, rules).shadow.route).toBe("provider:twin");
  });

  test("the caller is kept by its id beside its name: two JWT subjects of one name are told apart", () => {
    const copy = answered({ started: performance.now(), ttftMs: null }, undefined, null);
    const callers = ["jwt:default:alice", "jwt:acme:alice", "key_1"].map((keyId) =>
      shadowRecord(facts, primaryFacts(makeRecord({ keyId, keyName: "alice" })), undefined, copy, 1, rules),
    );
    expect(callers.map((r) => [r.keyId, r.keyName])).toEqual([
      ["jwt:default:alice", "alice"],
      ["jwt:acme:alice", "alice"],
      ["key_1", "alice"],
    ]);
  });

  test("an Anthropic Messages call's structured output (output_config.format) is measured on both sides", () => {
    const schema = {
      type: "object",
      properties: { name: { type: "string" }, age: { type: "integer" } },
      required: ["name", "age"],
      additionalProperties: false,
    };
    const messages = (text: string) => ({
      type: "message",
      role: "assistant",
      content: [{ type: "text", text }],
      stop_reason: "end_turn",
    });
    const asked = {
      model: "m",
      stream: false,
      operation: "messages" as const,
      body: { model: "m", max_tokens: 100, output_config: { format: { type: "json_schema", schema } } },
    };
    const messagesFacts = pairFacts(asked, { label: "provider:twin", upstreamModel: "candidate" });
    const primaryAnswer = () =>
      answerOf("messages", { kind: "json", body: messages('{"name":"Ada","age":36}') });
    const broken = answerOf("messages", { kind: "json", body: messages('{"name":"Ada"}') });
    const copy = answered({ started: performance.now(), ttftMs: null }, undefined, broken);
    const record = shadowRecord(messagesFacts, primary, primaryAnswer, copy, 1, rules);
    expect(record.agreement).toMatchObject({ primaryJsonValid: true, shadowJsonValid: false });
  });

  test("shadow.max_answer is bytes of each answer kept, cut on a character and marked; 0 keeps none (null)", () => {
    const both = (text: string, maxAnswer: number) => {
      const answer = answerOf("chat", { kind: "json", body: chat(text, "stop") });
      const copy = answered({ started: performance.now(), ttftMs: null }, undefined, answer);
      const record = shadowRecord(facts, primary, () => answer, copy, 1, {
        ...rules,
        keepAnswers: true,
        maxAnswer,
      });
      return [record.primary.answer, record.shadow.answer];
    };
    expect(both("whole", 5)).toEqual(["whole", "whole"]);
    // é is 2 bytes, 😀 4: 5 bytes hold two of the first, 6 one of the second, never half of one.
    expect(both("éééé", 5)).toEqual(["éé\n[cut at 5 bytes]", "éé\n[cut at 5 bytes]"]);
    expect(both("😀😀", 6)[0]).toBe("😀\n[cut at 6 bytes]");
    expect(both("😀😀", 8)[0]).toBe("😀😀");
    expect(both("anything", 0)).toEqual([null, null]);
  });

  test("an OpenAI refusal (content null, its words in `refusal`) keeps its words as the side's answer, marked, never an empty one", () => {
    const refused = {
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: null, refusal: "I can't help with that." },
          finish_reason: "stop",
        },
      ],
    };
    const primaryAnswer = () => answerOf("chat", { kind: "json", body: refused });
    const copy = answered(
      { started: performance.now(), ttftMs: null },
      undefined,
      answerOf("chat", { kind: "json", body: chat("Sure, here it is.", "stop") }),
    );
    const record = shadowRecord(facts, primary, primaryAnswer, copy, 1, { ...rules, keepAnswers: true });
    expect(record.primary.answer).toBe("[refusal] I can't help with that.");
    expect(record.shadow.answer).toBe("Sure, here it is.");
    expect(record.agreement).toMatchObject({ exact: false, similarity: 0 });
  });
});

// A pair's id is shown to its tenant's readers (`/admin/api/shadow`, its `nextCursor`).
// `Bun.randomUUIDv7()` counts within a millisecond: the 12 bits after the version went up by one
// each id, every tenant's pairs alike, so two of a tenant's pairs recorded in one millisecond told
// it how many other pairs were recorded between them.
test("pairs recorded in one millisecond have ids that count nothing: their bits after the time are random", () => {
  const copy = answered({ started: performance.now(), ttftMs: null }, undefined, null);
  const at = 1_760_000_000_123;
  const ids = Array.from({ length: 16 }, () => shadowRecord(facts, primary, undefined, copy, at, rules).id);
  for (const id of ids)
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const counts = ids.map((id) => Number.parseInt(id.slice(15, 18), 16));
  const steps = counts.slice(1).map((count, i) => (count - (counts[i] ?? 0) + 4096) % 4096);
  expect(steps.filter((step) => step === 1).length).toBeLessThan(4);
  // Time-ordered still (the stores' index on the id grows at its end), by the pair's time.
  const time = at.toString(16).padStart(12, "0");
  expect(new Set(ids.map((id) => id.slice(0, 13)))).toEqual(
    new Set([`${time.slice(0, 8)}-${time.slice(8)}`]),
  );
});
