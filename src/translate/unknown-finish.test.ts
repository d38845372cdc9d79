import { describe, expect, test } from "bun:test";
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
});
