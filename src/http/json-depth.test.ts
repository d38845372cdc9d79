import { describe, expect, test } from "bun:test";
import { nestsDeeperThan, valueNestsDeeperThan } from "./json-depth.ts";

/** The plain byte-by-byte scan the fast one must agree with. */
function reference(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") {
      if (++depth > max) return true;
    } else if (c === "}" || c === "]") depth--;
  }
  return false;
}

const deeper = (text: string, max: number) => nestsDeeperThan(new TextEncoder().encode(text), max);

describe("nestsDeeperThan", () => {
  test.each([
    ["[[[]]]", 2, true],
    ["[[[]]]", 3, false],
    ['{"a":{"b":[1]}}', 2, true],
    ['{"a":"[[[[[[[[[[","b":1}', 2, false],
    ['{"a":"\\\\"}[[[[', 2, true],
    ['{"a":"\\\\\\"[[[[["}', 2, false],
    ['{"a":"\\\\\\\\"}[[[', 2, true],
    ['["unterminated [[[[[[', 2, false],
  ] as const)("%p deeper than %p: %p", (text, max, expected) => {
    expect(deeper(text, max)).toBe(expected);
    expect(reference(text, max)).toBe(expected);
  });

  test("agrees with the byte-by-byte scan on random text of quotes, escapes and brackets", () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const alphabet = ['"', "\\\\", "[", "]", "{", "}", "a", ",", ":"];
    for (let n = 0; n < 20_000; n++) {
      const length = Math.floor(random() * 40);
      const text = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
      const max = Math.floor(random() * 5);
      expect(deeper(text, max)).toBe(reference(text, max));
    }
  });

  test("a body shorter than the bound cannot be deeper; the default bound is 256", () => {
    expect(deeper(`${"[".repeat(256)}${"]".repeat(256)}`, 256)).toBe(false);
    expect(deeper(`${"[".repeat(257)}${"]".repeat(257)}`, 256)).toBe(true);
    expect(nestsDeeperThan(new TextEncoder().encode("[".repeat(100_000)))).toBe(true);
  });
});

describe("valueNestsDeeperThan: the same count on a parsed value", () => {
  const nested = (depth: number) => JSON.parse(`${"[".repeat(depth)}${"]".repeat(depth)}`) as unknown;

  test("agrees with the text's count, objects and arrays alike", () => {
    for (const text of ['{"a":[{"b":{}}],"c":[[1]]}', "[[],[[]],{}]", '{"a":"[[[[["}', "1", "null"])
      for (const max of [0, 1, 2, 3, 4])
        expect(valueNestsDeeperThan(JSON.parse(text), max)).toBe(
          nestsDeeperThan(new TextEncoder().encode(text), max),
        );
  });

  test("256 levels pass, 257 do not, and 100,000 are answered without recursion", () => {
    expect(valueNestsDeeperThan(nested(256))).toBe(false);
    expect(valueNestsDeeperThan(nested(257))).toBe(true);
    expect(valueNestsDeeperThan(nested(100_000))).toBe(true);
    expect(valueNestsDeeperThan({ wide: Array.from({ length: 10_000 }, () => ({ a: [1] })) })).toBe(false);
  });
});

describe("valueNestsDeeperThan on a long array", () => {
  test("walks an array by index: it never enumerates its keys (a string per index)", () => {
    // A 1 MB message of `[0,0,…]` is 500,000 elements: enumerated with `for…in`, each index is a
    // string made and read back, 188 ms of the event loop held (10 MB: 8.9 s).
    const elements = Array.from({ length: 100_000 }, () => 0);
    let enumerated = 0;
    const watched = new Proxy(elements, {
      ownKeys(target) {
        enumerated++;
        return Reflect.ownKeys(target);
      },
    });
    expect(valueNestsDeeperThan({ type: "response.create", input: watched })).toBe(false);
    expect(enumerated).toBe(0);
    expect(valueNestsDeeperThan({ input: new Proxy([[[1]]], { ownKeys: () => [] }) }, 3)).toBe(true);
  });
});
