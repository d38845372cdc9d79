import { describe, expect, test } from "bun:test";
import { ModelIndex } from "./model-index.ts";

describe("model names: globs and aliases", () => {
  const index = new ModelIndex<string>();
  index.add("claude-*", [], "any claude");
  index.add("claude-opus-*", ["claude-opus-4-8[1m]"], "opus");
  index.add("gpt-4o-mini", ["gpt-4o-mini-2024-07-18"], "mini");
  index.add("gpt-*", [], "any gpt");
  index.add("*", [], "catch-all");

  test("exact names and aliases win over any glob", () => {
    expect(index.match("gpt-4o-mini")?.plan).toBe("mini");
    expect(index.match("gpt-4o-mini-2024-07-18")).toEqual({
      plan: "mini",
      entry: "gpt-4o-mini",
      pattern: "gpt-4o-mini-2024-07-18",
    });
    expect(index.match("claude-opus-4-8[1m]")?.plan).toBe("opus");
  });

  test("the most specific glob wins, whatever the order in the config", () => {
    expect(index.match("claude-opus-5-5")?.plan).toBe("opus");
    expect(index.match("claude-haiku-4-5")?.plan).toBe("any claude");
    expect(index.match("gpt-6.1-sol")?.plan).toBe("any gpt");
    expect(index.match("llama-3")?.plan).toBe("catch-all");
  });

  test("precedence lists what a lookup tries, in order; /v1/models lists only literal names", () => {
    expect(index.precedence().map((p) => p.pattern)).toEqual([
      "claude-opus-4-8[1m]",
      "gpt-4o-mini",
      "gpt-4o-mini-2024-07-18",
      "claude-opus-*",
      "claude-*",
      "gpt-*",
      "*",
    ]);
    expect(index.names()).toEqual(["claude-opus-4-8[1m]", "gpt-4o-mini", "gpt-4o-mini-2024-07-18"]);
  });

  test("knownAs: a name or alias spelled out is named, one only a glob matches is matched", () => {
    const strict = new ModelIndex<string>();
    strict.add("gpt-4o-mini", ["mini"], "mini");
    strict.add("claude-*", [], "any claude");
    expect(strict.knownAs("gpt-4o-mini")).toBe("named");
    expect(strict.knownAs("mini")).toBe("named");
    expect(strict.knownAs("claude-x-mgw_AbCdEfGhIjKlMnOpQrSt")).toBe("matched");
    expect(strict.knownAs("claude-*")).toBe("matched");
    expect(strict.knownAs("mgw_AbCdEfGhIjKlMnOpQrSt")).toBeUndefined();
  });

  test("on a tie, the entry listed first", () => {
    const tie = new ModelIndex<number>();
    tie.add("a-*", [], 1);
    tie.add("*-b", [], 2);
    expect(tie.match("a-b")?.plan).toBe(1);
  });
});
