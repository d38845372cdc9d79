import { describe, expect, test } from "bun:test";
import { formatReset } from "./reset-format.ts";

describe("formatReset", () => {
  test("OpenAI's format, the same text whether made or handed out again", () => {
    for (let round = 0; round < 2; round++) {
      expect(formatReset(-5)).toBe("0ms");
      expect(formatReset(0)).toBe("0ms");
      expect(formatReset(19.2)).toBe("20ms");
      expect(formatReset(999.5)).toBe("1000ms");
      expect(formatReset(1000)).toBe("1s");
      expect(formatReset(11_001)).toBe("12s");
      expect(formatReset(59_500)).toBe("1m0s");
      expect(formatReset(65_000)).toBe("1m5s");
      expect(formatReset(4_000_000)).toBe("66m40s");
    }
  });
});
