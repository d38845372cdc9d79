import { describe, expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { refuseForeignContainers, runsInContainers } from "./containers-in-scope.ts";

const OURS = "cntr_ours";
const THEIRS = "cntr_theirs";
const codeCall = (container: string) => ({ type: "code_interpreter_call", container_id: container });
const shellCall = (container: string) => ({
  type: "shell_call",
  environment: { type: "container_reference", container_id: container },
});
/** An answer the upstream gave natively, whose call ran in `OURS`. */
const chain = [{ holder: "openai", response: { output: [codeCall(OURS)] } }];

/**
 * The param of the 404 `refuseForeignContainers` throws for `tools` and `items`, if any;
 * `recorded`, the scope's record of containers, with the ids it was asked for.
 */
async function refusal(
  tools: unknown,
  items: readonly unknown[],
  recorded?: (asked: readonly string[]) => Promise<readonly string[]>,
): Promise<string | null | undefined> {
  try {
    await refuseForeignContainers(tools, [items], chain, [], new Set(), recorded);
    return undefined;
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    expect(error.status).toBe(404);
    return error.param;
  }
}

describe("refuseForeignContainers: a call in the model's context names a container", async () => {
  test("refused while a tool lets the upstream pick one, as code interpreter's auto or shell's container_auto", async () => {
    for (const tool of [
      { type: "code_interpreter", container: { type: "auto" } },
      { type: "shell", environment: { type: "container_auto" } },
      { type: "shell" },
    ]) {
      expect(await refusal([tool], [codeCall(THEIRS)])).toBe("input");
      expect(await refusal([tool], [shellCall(THEIRS)])).toBe("input");
      expect(await refusal([tool], [codeCall(OURS), shellCall(OURS)])).toBeUndefined();
    }
  });

  test("goes as sent while no tool picks one: none, a local shell, a container named (and checked) by id", async () => {
    expect(await refusal(undefined, [codeCall(THEIRS)])).toBeUndefined();
    expect(
      await refusal([{ type: "shell", environment: { type: "local" } }], [codeCall(THEIRS)]),
    ).toBeUndefined();
    expect(
      await refusal([{ type: "code_interpreter", container: OURS }], [codeCall(THEIRS)]),
    ).toBeUndefined();
    expect(await refusal([{ type: "code_interpreter", container: THEIRS }], [])).toBe("tools");
  });

  test("a container no answer of the request ran in is looked up in the scope's record, once for all those missing", async () => {
    const asked: (readonly string[])[] = [];
    const record =
      (...ids: string[]) =>
      async (missing: readonly string[]) => {
        asked.push(missing);
        return missing.filter((id) => ids.includes(id));
      };
    const auto = { type: "code_interpreter", container: { type: "auto" } };
    expect(
      await refusal([{ type: "code_interpreter", container: "cntr_noted" }], [], record("cntr_noted")),
    ).toBeUndefined();
    expect(
      await refusal(
        [auto],
        [codeCall(OURS), codeCall("cntr_noted"), shellCall("cntr_noted")],
        record("cntr_noted"),
      ),
    ).toBeUndefined();
    expect(await refusal([auto], [codeCall("cntr_noted"), codeCall(THEIRS)], record("cntr_noted"))).toBe(
      "input",
    );
    expect(asked).toEqual([["cntr_noted"], ["cntr_noted"], ["cntr_noted", THEIRS]]);
    // Nothing is looked up for a request whose containers its answers vouch for, or that names none.
    expect(await refusal([{ type: "code_interpreter", container: OURS }], [], record())).toBeUndefined();
    expect(await refusal([auto], [], record())).toBeUndefined();
    expect(asked).toHaveLength(3);
  });
});

test("only a code interpreter or shell tool may add to the record of the scope's containers", () => {
  expect(runsInContainers(undefined)).toBe(false);
  expect(runsInContainers([{ type: "function", name: "f", parameters: {} }, { type: "web_search" }])).toBe(
    false,
  );
  expect(
    runsInContainers([
      { type: "function", name: "f" },
      { type: "code_interpreter", container: { type: "auto" } },
    ]),
  ).toBe(true);
  expect(runsInContainers([{ type: "shell", environment: { type: "container_auto" } }])).toBe(true);
});
