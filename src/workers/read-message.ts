import { BATCH_KIND, decodeBatch } from "./batch-frame.ts";
import { CHUNK_KIND, chunkBytes, chunkId } from "./chunk-frame.ts";
import { decodeJson } from "./protocol.ts";

/** Where the frames of one tunnel message go. */
export interface MessageFrames {
  /** A control frame, JSON-decoded (not yet checked against its schema). */
  control(value: unknown): void;
  chunk(id: number, bytes: Uint8Array): void;
  /** True once the receiver stopped (a frame failed it): the rest of a batch is dropped. */
  stopped?(): boolean;
}

/**
 * One WebSocket message of a tunnel (text, a chunk frame, or a batch of both) split into its
 * frames; returns what was malformed, if anything. Used where a socket carries tunnel frames
 * without a worker's registration around them: both ends of a cluster peer link.
 */
export function readMessage(raw: unknown, to: MessageFrames): string | undefined {
  if (typeof raw === "string") return control(raw, to);
  const bytes =
    raw instanceof ArrayBuffer ? new Uint8Array(raw) : raw instanceof Uint8Array ? raw : undefined;
  if (!bytes) {
    // Text the server framework already parsed as JSON.
    if (typeof raw !== "object" || raw === null) return "message of unknown kind";
    to.control(raw);
    return undefined;
  }
  if (bytes[0] !== BATCH_KIND) return chunk(bytes, to);
  const frames = decodeBatch(bytes);
  if (typeof frames === "string") return frames;
  for (const frame of frames) {
    if (to.stopped?.()) return undefined;
    // A peer link carries no binary request or answer frames (request-frame.ts, answer-frame.ts).
    const problem =
      typeof frame === "string"
        ? control(frame, to)
        : frame[0] === CHUNK_KIND
          ? chunk(frame, to)
          : "binary frame of a worker's";
    if (problem) return problem;
  }
  return undefined;
}

function control(text: string, to: MessageFrames): string | undefined {
  const value = decodeJson(text);
  if (value === undefined) return "text frame is not JSON";
  to.control(value);
  return undefined;
}

function chunk(bytes: Uint8Array, to: MessageFrames): string | undefined {
  const id = chunkId(bytes);
  if (id < 0) return "malformed binary frame";
  to.chunk(id, chunkBytes(bytes));
  return undefined;
}
