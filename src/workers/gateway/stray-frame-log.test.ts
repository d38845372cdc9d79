import { describe, expect, test } from "bun:test";
import type { WorkerLog } from "../worker-log.ts";
import { StrayFrameLog } from "./stray-frame-log.ts";

describe("StrayFrameLog", () => {
  test("one line per frame type every 5 s; the next counts those held back", () => {
    const lines: Record<string, unknown>[] = [];
    const log: WorkerLog = (_level, _message, fields) => lines.push(fields ?? {});
    let now = 0;
    const strays = new StrayFrameLog(log, "w1", () => now);
    for (let i = 0; i < 100; i++) strays.stray("999", "chunk");
    strays.stray("4242", "end");
    expect(lines).toEqual([
      { worker: "w1", id: "999", type: "chunk" },
      { worker: "w1", id: "4242", type: "end" },
    ]);
    now = 4_999;
    strays.stray("999", "chunk");
    expect(lines).toHaveLength(2);
    now = 5_000;
    strays.stray("1000", "chunk");
    expect(lines[2]).toEqual({ worker: "w1", id: "1000", type: "chunk", suppressed: 100 });
    now = 10_000;
    strays.stray("1001", "chunk");
    expect(lines[3]).toEqual({ worker: "w1", id: "1001", type: "chunk" });
  });
});
