import { writeSync } from "node:fs";

/**
 * Lines to stderr, written together once per turn of the event loop. One write per access line
 * cost 10–20 µs each (more when stderr is a pipe, as under systemd or Kubernetes), the largest
 * single cost on the request path; gathering a turn's lines into one write makes it a fraction.
 * Lines still pending when the process exits are written synchronously, so none is lost to an
 * orderly exit; a `kill -9` can lose at most the current turn's lines.
 */
export function batchedWrite(
  write: (text: string) => void = (text) => process.stderr.write(text),
  writeNow: (text: string) => void = (text) => writeSync(2, text),
): (line: string) => void {
  const pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    // One array for the process, emptied in place: no new array per turn.
    const text = pending.length === 1 ? (pending[0] as string) : pending.join("");
    pending.length = 0;
    write(text);
  };
  process.once("exit", () => {
    if (pending.length === 0) return;
    const text = pending.join("");
    pending.length = 0;
    try {
      writeNow(text);
    } catch {
      // stderr is gone (closed pipe): nothing left to tell.
    }
  });
  return (line) => {
    pending.push(line);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}
