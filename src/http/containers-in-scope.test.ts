import { describe, expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { refuseForeignContainers } from "./containers-in-scope.ts";

const OURS = "cntr_ours";
const THEIRS = "cntr_theirs";
const codeCall = (container: string) => ({ type: "code_interpreter_call", container_id: container });
const shellCall = (container: string) => ({
  type: "shell_call",
  environment: { type: "container_reference", container_id: container },
});
/** An answer the upstream gave natively, whose call ran in `OURS`. */
const chain = [{ holder: "openai", response: { output: [codeCall(OURS)] } }];

/** The param of the 404 `refuseForeignContainers` throws for `tools` and `items`, if any. */
function refusal(tools: unknown, items: readonly unknown[]): string | null | undefined {
  try {
    refuseForeignContainers(tools, [items], chain, [], new Set());
    return undefined;
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    expect(error.status).toBe(404);
    return error.param;
  }
}

describe("refuseForeignContainers: a call in the model's context names a container", () => {
  test("refused while a tool lets the upstream pick one, as code interpreter's auto or shell's container_auto", () => {
    for (const tool of [
      { type: "code_interpreter", container: { type: "auto" } },
      { type: "shell", environment: { type: "container_auto" } },
      { type: "shell" },
    ]) {
      expect(refusal([tool], [codeCall(THEIRS)])).toBe("input");
      expect(refusal([tool], [shellCall(THEIRS)])).toBe("input");
      expect(refusal([tool], [codeCall(OURS), shellCall(OURS)])).toBeUndefined();
    }
  });

  test("goes as sent while no tool picks one: none, a local shell, a container named (and checked) by id", () => {
    expect(refusal(undefined, [codeCall(THEIRS)])).toBeUndefined();
    expect(refusal([{ type: "shell", environment: { type: "local" } }], [codeCall(THEIRS)])).toBeUndefined();
    expect(refusal([{ type: "code_interpreter", container: OURS }], [codeCall(THEIRS)])).toBeUndefined();
    expect(refusal([{ type: "code_interpreter", container: THEIRS }], [])).toBe("tools");
  });
});
