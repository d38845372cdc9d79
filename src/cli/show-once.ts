import { fstatSync, statSync, writeSync } from "node:fs";
import { messageOf } from "../core/describe-error.ts";

/**
 * Writes `text` to the file descriptor (stdout) whole, at once, and says why it reached no one
 * when it did not: the write failed (a pipe whose reader is gone, a full disk), or it went to
 * /dev/null, where a stdout closed at start (`serve >&-`) leads (the runtime opens /dev/null in its
 * place, so the write itself succeeds), unless `nullIsLost` is false: a command the user sent there
 * (`keys create > /dev/null`) did as told. Undefined: written.
 */
export function showOnce(text: string, fd = 1, { nullIsLost = true } = {}): string | undefined {
  if (nullIsLost && isDevNull(fd)) return "stdout is /dev/null (closed, or sent there)";
  const bytes = Buffer.from(text);
  const deadline = Date.now() + 1000;
  for (let at = 0; at < bytes.length; )
    try {
      at += writeSync(fd, bytes, at);
    } catch (error) {
      // A pipe set non-blocking whose reader is behind: it drains; a reader gone does not.
      const full = (error as NodeJS.ErrnoException).code === "EAGAIN";
      if (!full || Date.now() > deadline) return `stdout cannot be written (${messageOf(error)})`;
      Bun.sleepSync(5);
    }
  return undefined;
}

function isDevNull(fd: number): boolean {
  try {
    const out = fstatSync(fd);
    const devNull = statSync("/dev/null");
    return out.isCharacterDevice() && out.rdev === devNull.rdev;
  } catch {
    return false;
  }
}
