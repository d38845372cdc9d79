import { describe, expect, test } from "bun:test";
import { exportSilenceMs, STREAM_SILENCE_MS } from "./admin-stream.ts";

// The stalled export itself is test/e2e/cli-stalled-answer.test.ts, run with a lowered bound.
describe("an audit export's silence bound", () => {
  test("is five minutes unless MINDGW_EXPORT_SILENCE_MS sets it (a test's lower one); a value not a positive integer is ignored", () => {
    expect(STREAM_SILENCE_MS).toBe(300_000);
    const bounds = [undefined, "5000", "0", "-1", "1.5", "soon", ""].map((set) =>
      exportSilenceMs({ MINDGW_EXPORT_SILENCE_MS: set }),
    );
    expect(bounds).toEqual([300_000, 5000, 300_000, 300_000, 300_000, 300_000, 300_000]);
  });
});
