import type { Subprocess } from "bun";
import { childEnv } from "../../../src/testing/off-cloud-env.ts";
import { assertBuilt, MINDGW } from "./binary.ts";
import { waitFor } from "./wait-for.ts";

/** `mindgw tail`'s interactive view on a pseudo-terminal of Bun's own, its exit code ours to read. */
export interface TerminalTail {
  readonly proc: Subprocess;
  /** Everything the view has drawn so far, escapes included. */
  screen(): string;
  /** Closes the terminal's master side, as a terminal window closed: the kernel hangs the tty up. */
  hangUp(): void;
  /** SIGKILL if still running, and the terminal closed. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts the compiled `mindgw tail ARGS` as a session of its own on a fresh pseudo-terminal (unlike
 * tmux's pane, no shell stands between it and the terminal: a hang-up reaches it, and its exit code
 * is read), and waits (bounded) until the view is live. `env` is set over the test's environment
 * (undefined: unset), after the harness's own.
 */
export async function spawnTerminalTail(
  args: readonly string[],
  adminKey: string,
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<TerminalTail> {
  assertBuilt();
  let drawn = "";
  const decoder = new TextDecoder();
  const proc = Bun.spawn([MINDGW, "tail", ...args], {
    env: childEnv({ CI: "", MINDGW_GATEWAY: "", MINDGW_ADMIN_KEY: adminKey, ...env }),
    terminal: {
      cols: 120,
      rows: 30,
      data: (_terminal, data) => {
        drawn += decoder.decode(data, { stream: true });
      },
    },
  });
  const tail: TerminalTail = {
    proc,
    screen: () => drawn,
    hangUp: () => proc.terminal?.close(),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await proc.exited;
      proc.terminal?.close();
    },
  };
  try {
    await waitFor("the tail to go live", () => drawn.includes("● live"), 20_000);
  } catch (error) {
    await tail.stop();
    throw error;
  }
  return tail;
}
