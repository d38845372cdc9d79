import { describe, expect, test } from "bun:test";
import { compileGlob, matchesAny } from "./model-glob.ts";

/** What a glob means, spelt as the RegExp it used to be compiled to (fine for short names). */
const reference = (glob: string, name: string) =>
  new RegExp(
    `^${glob
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\/-]/g, "\\$&"))
      .join(".*")}$`,
    "s",
  ).test(name);

describe("compileGlob", () => {
  test("matches as the glob's RegExp would, on every glob and name over a small alphabet", () => {
    // Every glob of up to five characters from {a, b, *} against every name of up to six from {a, b}.
    const words = (alphabet: string, max: number): string[] => {
      const all = [""];
      for (let i = 0; i < all.length; i++) {
        const word = all[i] ?? "";
        if (word.length < max) for (const c of alphabet) all.push(word + c);
      }
      return all;
    };
    const names = words("ab", 6);
    let checked = 0;
    for (const glob of words("ab*", 5)) {
      const compiled = compileGlob(glob);
      for (const name of names) {
        if (compiled.test(name) !== reference(glob, name)) throw new Error(`${glob} vs ${name}`);
        checked++;
      }
    }
    expect(checked).toBe(364 * 127);
  });

  test("punctuation is literal, a name may hold new lines", () => {
    expect(compileGlob("gpt-4.*").test("gpt-4.1")).toBe(true);
    expect(compileGlob("gpt-4.*").test("gpt-4x1")).toBe(false);
    expect(compileGlob("a(b)*[c]").test("a(b)-x-[c]")).toBe(true);
    expect(compileGlob("*x*").test("a\nx\nb")).toBe(true);
    expect(compileGlob("a*a").test("a")).toBe(false);
  });

  test("a long name against a glob with two stars and a literal after the last answers at once", () => {
    // As a RegExp (`^.*llama.*-instruct$`) this backtracked for about half a minute, the event
    // loop held all along (the test's own timeout would end it).
    const name = "llama".repeat(120_000);
    expect(compileGlob("*llama*-instruct").test(name)).toBe(false);
    expect(compileGlob("*llama*-instruct").test(`${name}-instruct`)).toBe(true);
    expect(matchesAny(["*a*b*c*-x", "*llama*-instruct"], name)).toBe(false);
  });
});
