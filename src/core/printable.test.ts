import { describe, expect, test } from "bun:test";
import { printable } from "./printable.ts";

describe("printable", () => {
  test("leaves ordinary text, unicode included, as it is", () => {
    expect(printable("gpt-4o mini — ünïcode ✓")).toBe("gpt-4o mini — ünïcode ✓");
  });

  test("shows line breaks, escape sequences and C1 controls as escapes", () => {
    expect(printable("a\nb\r\tc")).toBe("a\\nb\\r\\tc");
    expect(printable("\u001b[2J\u001b]0;owned\u0007")).toBe("\\u001b[2J\\u001b]0;owned\\u0007");
    expect(printable("x\u009by\u007f")).toBe("x\\u009by\\u007f");
  });
});
