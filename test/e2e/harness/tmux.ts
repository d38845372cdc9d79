import { rmSync } from "node:fs";
import { childEnv } from "../../../src/testing/off-cloud-env.ts";
import { waitFor } from "./wait-for.ts";

/** How a command run by `startTmux` ended, as its wrapper shell reported it on the screen. */
export interface TmuxExit {
  code: number;
  /** True when `stty -g` after the command equals `stty -g` before it (raw mode undone). */
  ttyRestored: boolean;
}

/** One program in a real pseudo-terminal, on a private tmux server of its own. */
export interface TmuxSession {
  /** The `-L` socket name; unique per session, so tests never touch another tmux server. */
  readonly socket: string;
  /** The visible screen as text (`capture-pane -p`), trailing blanks removed; `escapes` keeps colours. */
  screen(escapes?: boolean): string;
  /** A tmux format for the pane, e.g. `#{alternate_on}` (1 while a full-screen app owns it). */
  format(format: string): string;
  /** tmux key names: `Space`, `Enter`, `Escape`, `Down`, `C-c`, `q`… */
  sendKeys(...keys: string[]): void;
  /** Literal text, as if typed. */
  type(text: string): void;
  resize(width: number, height: number): void;
  /** Polls the screen until `check` accepts it; on timeout the error shows the last screen. */
  waitForScreen(what: string, check: (screen: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Waits for the wrapper's exit line (the command has ended, the shell has the terminal back). */
  waitForExit(timeoutMs?: number): Promise<TmuxExit>;
  /** Kills this session's tmux server and everything running in it. Safe to call twice. */
  kill(): void;
}

export interface TmuxOptions {
  width?: number;
  height?: number;
  /** Set in the session's environment (`new-session -e`). */
  env?: Record<string, string>;
}

let sessions = 0;

// After the command ends, a shell reports its exit code and whether the tty settings came back,
// then sleeps so the pane (and the restored screen) stays readable until kill().
const WRAPPER =
  'before=$(stty -g); "$@"; code=$?; after=$(stty -g); ' +
  'if [ "$before" = "$after" ]; then tty=restored; else tty=changed; fi; ' +
  'echo "[exited $code; tty $tty]"; exec sleep 600';
const EXIT_LINE = /\[exited (\d+); tty (restored|changed)\]/;

// The pane stands for an operator's terminal, so it starts from this process's environment
// without what would make it something else: CI=true turns colours off, an outer tmux's
// variables would make tmux refuse to nest, and MINDGW_* would leak into the command.
// The off-cloud environment over it (childEnv), as for every process a test starts.
const SESSION_ENV = childEnv(
  {},
  (name) => !["CI", "TMUX", "TMUX_PANE"].includes(name) && !name.startsWith("MINDGW_"),
);

function tmux(socket: string, args: readonly string[]): string {
  const result = Bun.spawnSync(["tmux", "-f", "/dev/null", "-L", socket, ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    // off-cloud: SESSION_ENV is childEnv's, built once.
    env: SESSION_ENV,
  });
  if (result.exitCode !== 0) {
    throw new Error(`tmux ${args[0]} failed (${result.exitCode}): ${result.stderr.toString().trim()}`);
  }
  return result.stdout.toString();
}

/**
 * Starts `command` (argv, no shell quoting needed) in a detached tmux session of the given
 * size on a private server socket. Always `kill()` it in a finally block.
 */
export function startTmux(command: readonly string[], options: TmuxOptions = {}): TmuxSession {
  const socket = `mindgw-e2e-${process.pid}-${++sessions}-${Date.now().toString(36)}`;
  const env = Object.entries(options.env ?? {}).flatMap(([name, value]) => ["-e", `${name}=${value}`]);
  const size = ["-x", String(options.width ?? 160), "-y", String(options.height ?? 40)];
  tmux(socket, ["new-session", "-d", ...size, ...env, "sh", "-c", WRAPPER, "sh", ...command]);
  // kill-server leaves the socket file behind; remove it too.
  const socketPath = tmux(socket, ["display-message", "-p", "#{socket_path}"]).trim();
  let killed = false;
  const session: TmuxSession = {
    socket,
    screen: (escapes = false) =>
      tmux(socket, ["capture-pane", "-p", ...(escapes ? ["-e"] : [])])
        .split("\n")
        .map((line) => line.trimEnd())
        .join("\n")
        .trimEnd(),
    format: (format) => tmux(socket, ["display-message", "-p", format]).trim(),
    sendKeys: (...keys) => void tmux(socket, ["send-keys", ...keys]),
    type: (text) => void tmux(socket, ["send-keys", "-l", text]),
    resize: (width, height) =>
      void tmux(socket, ["resize-window", "-x", String(width), "-y", String(height)]),
    async waitForScreen(what, check, timeoutMs = 15_000) {
      let last = "";
      try {
        return await waitFor(
          what,
          () => {
            last = session.screen();
            return check(last) ? last : undefined;
          },
          timeoutMs,
          50,
        );
      } catch (error) {
        throw new Error(`${error instanceof Error ? error.message : String(error)}; screen:\n${last}`);
      }
    },
    async waitForExit(timeoutMs = 15_000) {
      const screen = await session.waitForScreen("the command to exit", (s) => EXIT_LINE.test(s), timeoutMs);
      const match = screen.match(EXIT_LINE);
      return { code: Number(match?.[1]), ttyRestored: match?.[2] === "restored" };
    },
    kill() {
      if (killed) return;
      killed = true;
      try {
        tmux(socket, ["kill-server"]);
      } catch {
        // Already gone (the server exits by itself when its last session ends).
      }
      if (socketPath.includes(socket)) rmSync(socketPath, { force: true });
    },
  };
  return session;
}
