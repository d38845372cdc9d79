import { describe, expect, test } from "bun:test";
import { parse, stringify } from "yaml";
import { escapedC1, printable, printableJson, printableLines } from "./printable.ts";

describe("printable", () => {
  test("leaves ordinary text, unicode included, as it is", () => {
    expect(printable("gpt-4o mini — ünïcode ✓")).toBe("gpt-4o mini — ünïcode ✓");
  });

  test("shows line breaks, escape sequences and C1 controls as escapes", () => {
    expect(printable("a\nb\r\tc")).toBe("a\\nb\\r\\tc");
    expect(printable("\u001b[2J\u001b]0;owned\u0007")).toBe("\\u001b[2J\\u001b]0;owned\\u0007");
    expect(printable("x\u009by\u007f")).toBe("x\\u009by\\u007f");
  });

  test("printableLines keeps tab and line ends, shows every other control as its escape", () => {
    expect(printableLines("a\r\nb\tc")).toBe("a\r\nb\tc");
    expect(printableLines("k\u001b]0;x\u0007\u009b2J\u007f")).toBe("k\\u001b]0;x\\u0007\\u009b2J\\u007f");
  });

  test("printableJson escapes what JSON.stringify leaves raw (DEL, C1), and parses back to the same value", () => {
    const value = { model: "m\u009b31mred\u007f", esc: "\u001b[2J", note: "ünïcode — ✓" };
    const json = printableJson(value);
    expect(json).toBe('{"model":"m\\u009b31mred\\u007f","esc":"\\u001b[2J","note":"ünïcode — ✓"}');
    expect(printable(json)).toBe(json); // no control character left
    expect(JSON.parse(json)).toEqual(value);
  });

  test("escapedC1 writes DEL and C1 as escapes, which a double-quoted YAML string reads back the same", () => {
    const value = { "k\u009b": ["x\u0085y\u007f", "plain"] };
    const yaml = escapedC1(stringify(value));
    expect(yaml).toBe('"k\\u009b":\n  - "x\\u0085y\\u007f"\n  - plain\n');
    expect(parse(yaml)).toEqual(value);
  });
});
