import { createRingReader } from "./message-ring.ts";
import type { ShadowThreadMessage, ShadowThreadRequest } from "./shadow-thread-protocol.ts";

/** A gateway message as the shadow thread handles it: its request, and the bytes its bodies name. */
export interface UnpackedMessage {
  request: ShadowThreadRequest;
  bytes: readonly Uint8Array[];
}

/**
 * Reads the gateway's messages, from the ring or posted whole: the ring's own message sets it up
 * (null: nothing to handle), and each later ring message is read off it at once, so its space is
 * handed back before the message waits its turn.
 */
export function messageReader(): (data: ShadowThreadMessage) => UnpackedMessage | null {
  let readRing: ReturnType<typeof createRingReader> | undefined;
  return (data) => {
    if (typeof data === "string") {
      if (!readRing) throw new Error("shadow thread: a ring message before the ring");
      const { parts, text } = readRing(data);
      return { request: JSON.parse(text) as ShadowThreadRequest, bytes: parts };
    }
    if ("ring" in data) {
      readRing = createRingReader(data.ring);
      return null;
    }
    return { request: JSON.parse(data.json) as ShadowThreadRequest, bytes: data.bytes };
  };
}
