import { describe, expect, test } from "bun:test";
import { type ToolCallDelta, ToolCallSequencer, type ToolCallStep } from "./tool-call-sequencer.ts";

const header = (index: number, name: string, args = ""): ToolCallDelta => ({
  index,
  id: `call_${index}`,
  type: "function",
  function: { name, arguments: args },
});
const fragment = (index: number, args: string): ToolCallDelta => ({ index, function: { arguments: args } });

/** Every step of the deltas, then of the end, as `start:index:args` or `+index:fragment`. */
function run(deltas: ToolCallDelta[]): string[] {
  const sequencer = new ToolCallSequencer();
  const steps: ToolCallStep[] = [...deltas.flatMap((delta) => sequencer.push(delta)), ...sequencer.finish()];
  return steps.map((step) =>
    step.type === "start" ? `start:${step.index}:${step.arguments}` : `+${step.index}:${step.fragment}`,
  );
}

describe("ToolCallSequencer", () => {
  test("calls that take turns stream as they arrive: the next starts once the open one's JSON closes", () => {
    expect(
      run([header(0, "a"), fragment(0, '{"x":'), fragment(0, "1}"), header(1, "b"), fragment(1, "{}")]),
    ).toEqual(["start:0:", '+0:{"x":', "+0:1}", "start:1:", "+1:{}"]);
  });

  test("interleaved calls: the later one is held until the open one is whole, then streams on", () => {
    expect(
      run([
        header(0, "a", '{"x"'),
        header(1, "b", '{"y"'),
        fragment(0, ":1"),
        fragment(1, ":2"),
        fragment(0, "}"),
        fragment(1, "}"),
      ]),
    ).toEqual(['start:0:{"x"', "+0::1", "+0:}", 'start:1:{"y":2', "+1:}"]);
  });

  test("a call whose arguments never close holds the others to the end; none is lost", () => {
    expect(
      run([header(0, "a", '{"x"'), header(1, "b", "{}"), fragment(0, ":1"), header(2, "c", "[1")]),
    ).toEqual(['start:0:{"x"', "+0::1", "start:1:{}", "start:2:[1"]);
  });

  test("a name that comes after fragments starts the call with all of them", () => {
    expect(run([fragment(0, '{"a"'), { index: 0, function: { name: "f", arguments: ":1}" } }])).toEqual([
      'start:0:{"a":1}',
    ]);
  });

  test("calls without an index (Gemini's OpenAI-compatible API) are numbered as they arrive", () => {
    const whole = (id: string, name: string, args: string): ToolCallDelta => ({
      id,
      type: "function",
      function: { name, arguments: args },
    });
    expect(
      run([whole("c1", "a", '{"x":1}'), whole("c2", "b", '{"y":'), { function: { arguments: "2}" } }]),
    ).toEqual(['start:0:{"x":1}', 'start:1:{"y":', "+1:2}"]);
  });

  test("a brace inside a string does not end the arguments", () => {
    expect(run([header(0, "a", '{"s":"}\\"}'), header(1, "b", "{}"), fragment(0, '"}')])).toEqual([
      'start:0:{"s":"}\\"}',
      '+0:"}',
      "start:1:{}",
    ]);
  });
});
