import { describe, expect, test } from "bun:test";
import { finishFailure } from "./failed-finish.ts";
import { warnUnknownFinish } from "./unknown-finish.ts";

describe("warnUnknownFinish", () => {
  test("warns once a reason, and of a bounded number of reasons", () => {
    const warned: string[] = [];
    const tell = warnUnknownFinish("bedrock", (_message, fields) =>
      warned.push(`${fields.provider}: ${fields.field} ${fields.reason}`),
    );
    tell("Bedrock stopReason", "refusal");
    tell("Bedrock stopReason", "refusal");
    tell("Gemini finishReason", "refusal");
    expect(warned).toEqual(["bedrock: Bedrock stopReason refusal", "bedrock: Gemini finishReason refusal"]);
    for (let i = 0; i < 100; i++) tell("Bedrock stopReason", `made_up_${i}`);
    expect(warned.length).toBe(32);
  });

  test("a reason is kept and logged to its first 64 characters, however long the upstream's", () => {
    const warned: unknown[] = [];
    const tell = warnUnknownFinish("gemini", (_message, fields) => warned.push(fields.reason));
    const long = "x".repeat(64);
    tell("Gemini finishReason", `${long}${"y".repeat(1_000_000)}`);
    tell("Gemini finishReason", `${long}z`);
    expect(warned).toEqual([`${long}…`]);
    // And so in the 502 of a turn that wrote nothing, which the access line logs and the caller reads.
    const reasons = { field: "Gemini finishReason", answers: {}, failures: {} };
    const failure = finishFailure(
      reasons,
      `${long}${"y".repeat(1000)}`,
      { produced: false },
      () => undefined,
    );
    expect(failure?.message).toEndWith(`(Gemini finishReason ${long}…)`);
  });
});
