import { describe, expect, test } from "bun:test";
import { withAllowedToolsOffered } from "./allowed-tools.ts";

const fn = (name: string) => ({ type: "function", function: { name, parameters: { type: "object" } } });
const allowing = (mode: string, ...names: string[]) => ({
  type: "allowed_tools",
  allowed_tools: { mode, tools: names.map((name) => ({ type: "function", function: { name } })) },
});

describe("withAllowedToolsOffered: chat's allowed_tools choice as every translated target reads it", () => {
  test("only the allowed tools, in their declared order; the mode is the choice", () => {
    const body = {
      model: "m",
      messages: [],
      tools: [fn("a"), fn("b"), fn("c")],
      tool_choice: allowing("required", "c", "a"),
    };
    expect(withAllowedToolsOffered(body)).toEqual({
      model: "m",
      messages: [],
      tools: [fn("a"), fn("c")],
      tool_choice: "required",
    });
    expect(withAllowedToolsOffered({ ...body, tool_choice: allowing("auto", "b") })).toEqual({
      model: "m",
      messages: [],
      tools: [fn("b")],
      tool_choice: "auto",
    });
  });

  test("allowing none of the tools declared leaves neither tools nor a choice", () => {
    expect(
      withAllowedToolsOffered({ model: "m", tools: [fn("a")], tool_choice: allowing("required", "z") }),
    ).toEqual({
      model: "m",
    });
  });

  test("allowing none of them leaves no parallel_tool_calls either: it asked of the tools (the Agents SDK sends it beside them)", () => {
    const body = {
      model: "m",
      tools: [fn("a")],
      parallel_tool_calls: true,
      tool_choice: allowing("auto", "z"),
    };
    expect(withAllowedToolsOffered(body)).toEqual({ model: "m" });
    // With an offered tool it is the caller's to keep.
    expect(withAllowedToolsOffered({ ...body, tool_choice: allowing("auto", "a") })).toEqual({
      model: "m",
      tools: [fn("a")],
      parallel_tool_calls: true,
      tool_choice: "auto",
    });
  });

  test("any other choice, or none, is the body itself", () => {
    for (const tool_choice of [
      undefined,
      "auto",
      "required",
      { type: "function", function: { name: "a" } },
    ]) {
      const body = { model: "m", tools: [fn("a")], tool_choice };
      expect(withAllowedToolsOffered(body)).toBe(body);
    }
  });

  test("a mode OpenAI does not have, or no tools list, is a 400 naming the field", () => {
    expect(() => withAllowedToolsOffered({ tools: [fn("a")], tool_choice: allowing("none", "a") })).toThrow(
      "tool_choice.allowed_tools.mode",
    );
    expect(() =>
      withAllowedToolsOffered({
        tools: [fn("a")],
        tool_choice: { type: "allowed_tools", allowed_tools: { mode: "auto" } },
      }),
    ).toThrow("tool_choice.allowed_tools.tools");
  });
});
