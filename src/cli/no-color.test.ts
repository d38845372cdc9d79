import { describe, expect, test } from "bun:test";
import { honourNoColor } from "./no-color.ts";

describe("honourNoColor", () => {
  test("NO_COLOR with a value: FORCE_COLOR=0, chalk's words for no colour", () => {
    const env: Record<string, string | undefined> = { NO_COLOR: "1" };
    honourNoColor(env);
    expect(env.FORCE_COLOR).toBe("0");
  });

  test("NO_COLOR empty or unset: nothing set", () => {
    for (const env of [{ NO_COLOR: "" }, {}] as Record<string, string | undefined>[]) {
      honourNoColor(env);
      expect(env.FORCE_COLOR).toBeUndefined();
    }
  });

  test("a FORCE_COLOR already set wins", () => {
    const env: Record<string, string | undefined> = { NO_COLOR: "1", FORCE_COLOR: "1" };
    honourNoColor(env);
    expect(env.FORCE_COLOR).toBe("1");
  });
});
