import { open } from "node:fs/promises";

/** The most a device or a pipe may give as a config file: far past any real one (a few thousand models is ~1 MB). */
export const MAX_STREAMED_CONFIG = 8 * 1024 * 1024;

/** A device or pipe that gave more than `MAX_STREAMED_CONFIG`: `-c /dev/zero`, a pipe that never ends. */
export class StreamedConfigTooLarge extends Error {}

/**
 * A config file's text. A regular file is read whole (its size is known); a device or a pipe
 * (`-c /dev/null`, `-c <(…)`) is read only up to `MAX_STREAMED_CONFIG`, past which it throws
 * `StreamedConfigTooLarge`: `-c /dev/zero` would otherwise grow memory until the process is killed.
 */
export async function readConfigBytes(path: string): Promise<string> {
  const file = await open(path, "r");
  try {
    if ((await file.stat()).isFile()) return await file.readFile("utf8");
    const chunks: Buffer[] = [];
    let total = 0;
    while (true) {
      const chunk = Buffer.alloc(64 * 1024);
      const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) return Buffer.concat(chunks, total).toString("utf8");
      total += bytesRead;
      if (total > MAX_STREAMED_CONFIG) throw new StreamedConfigTooLarge();
      chunks.push(chunk.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
}
