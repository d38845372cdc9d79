import { PassThrough } from "node:stream";
import type { TailOutput } from "../tail-options.ts";

/** A writable stream that keeps what was written, as text, for assertions. */
export function textSink(): { stream: TailOutput; text: () => string; lines: () => string[] } {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  return { stream, text: () => text, lines: () => text.split("\n").filter(Boolean) };
}
