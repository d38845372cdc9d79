import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { spawnTerminalTail, type TerminalTail } from "./harness/pty-tail.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(60_000);

// The interactive `mindgw tail` on a real pseudo-terminal, ended as an operator's terminal ends it:
// closed, or a stop signal (src/tui/stop-signals.ts: each ends it as `q` does, exit 0, and a second
// of any kind after the first ends it at once, as `--json`'s: tail-json-signals.test.ts).

const fx = gatewayFixture({ models: ["m1"] });

async function withTail(body: (tail: TerminalTail) => Promise<void>): Promise<void> {
  const tail = await spawnTerminalTail(["--gateway", fx.gw.url], fx.adminKey);
  try {
    await body(tail);
  } finally {
    await tail.stop();
  }
}

/** How the tail ended: its exit code, or the signal that ended it. */
async function ending(tail: TerminalTail): Promise<number | string> {
  const code = await waitFor(
    "the tail to end",
    () => (tail.proc.exitCode !== null || tail.proc.signalCode !== null) && tail.proc.exited,
    20_000,
  );
  return tail.proc.signalCode ?? code;
}

describe("the interactive tail's terminal and stop signals", () => {
  test("the terminal closed (a hang-up): exit 0 as on q, where its last writes to the gone terminal failed it (exit 1, EIO)", async () => {
    await withTail(async (tail) => {
      tail.hangUp();
      expect(await ending(tail)).toBe(0);
    });
  });

  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    test(`${signal}: exit 0, the terminal given back`, async () => {
      await withTail(async (tail) => {
        tail.proc.kill(signal);
        expect(await ending(tail)).toBe(0);
        // Left the alternate screen it drew in.
        expect(tail.screen()).toContain("\u001b[?1049l");
      });
    });
  }
});
