import { expect, test } from "bun:test";
import { makeRecord } from "./audit-fixture.ts";
import { auditRecordSchema } from "./audit-record-schema.ts";
import { auditRowProblem } from "./audit-row-problem.ts";

const problemOf = (row: unknown): string => {
  const parsed = auditRecordSchema.safeParse(row);
  if (parsed.success) throw new Error("the row was taken");
  return auditRowProblem(parsed.error, row);
};

test("a field of an entry of a list is named by its place, as the row's own fields are", () => {
  const attempt = { route: "provider:a", upstreamModel: "m", outcome: "ok", status: null, errorClass: null };
  expect(problemOf({ ...makeRecord({}), attempts: [{ ...attempt, durationMs: 5 }, attempt] })).toBe(
    "missing attempts.1.durationMs",
  );
});

test("seven fields missing: six named, the seventh counted", () => {
  const { requestId, startedAt, keyId, keyName, tenant, role, frontDoor, ...rest } = makeRecord({});
  expect([requestId, startedAt, keyId, keyName, tenant, role, frontDoor]).toHaveLength(7);
  expect(problemOf(rest)).toBe("missing requestId, startedAt, keyId, keyName, tenant, role and 1 more field");
});

test("a value of the wrong kind says the kind it got, never the value (a row's bodies are any size)", () => {
  const problem = problemOf({ ...makeRecord({}), requestId: 7, model: ["x".repeat(10_000)], stream: null });
  expect(problem).toBe(
    "requestId: expected text, got a number; model: expected text, got a list; stream: expected true or false, got null",
  );
});
