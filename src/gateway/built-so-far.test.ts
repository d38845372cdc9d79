import { expect, test } from "bun:test";
import { silentLogger } from "../log/logger.ts";
import { BuiltSoFar } from "./built-so-far.ts";

test("an undo closes the parts made, the last first, save one that stop() closes after another: event sinks after the audit's final flush", async () => {
  const built = new BuiltSoFar();
  built.stopsWith(silentLogger, 1_000);
  const closed: string[] = [];
  const closing = (part: string) => () => void closed.push(part);
  built.made("storage", closing("storage"));
  built.made("the audit", closing("the audit"), { keepsTime: true });
  built.made("event sinks", closing("event sinks"), { closedAfter: "the audit" });
  built.made("workers", closing("workers"));
  await built.undo();
  expect(closed).toEqual(["workers", "the audit", "event sinks", "storage"]);
});
