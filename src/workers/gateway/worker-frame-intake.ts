import { ANSWER_KIND, Answer, decodeAnswer } from "../answer-frame.ts";
import { BATCH_KIND, BatchReader, TEXT_KIND } from "../batch-frame.ts";
import { CHUNK_KIND, chunkBytes, chunkId } from "../chunk-frame.ts";
import { decodeJson, otherVersion, PEER_LINK_ERROR_CODES, type WorkerFrame } from "../protocol.ts";
import { readWorkerFrame } from "../read-frame.ts";
import type { WorkerTunnel } from "./worker-tunnel.ts";

/** What a connection does with the frames its worker sent that are the connection's own. */
export interface IntakeDeps {
  /** The worker broke the protocol: its connection is closed 1008 for `problem`. */
  fail(problem: string): void;
  /** Its register frame, before it registered. */
  register(frame: Extract<WorkerFrame, { type: "register" }>): void;
  /** A register frame of another protocol version `v`, told so before its fields are read. */
  otherVersion(v: number): void;
  /** It announced its own drain. */
  drain(tunnel: WorkerTunnel): void;
  /** It announced what its upstream serves now. */
  announce(tunnel: WorkerTunnel, apis: readonly string[]): void;
}

/**
 * A worker connection's frames as they come (worker-connection.ts): each message checked and read,
 * text as a control frame, binary as a body chunk, an answer frame or a batch of them. A frame of
 * a request goes to the tunnel once the worker registered; what breaks the protocol (a malformed
 * frame, one out of place, an error code only a cluster peer link sends) fails the connection.
 * The chunk and answer frames are read where they are, through one reader each, no object a frame.
 */
export class WorkerFrameIntake {
  /** Set once the worker registered. */
  tunnel: WorkerTunnel | undefined;
  /** Set as the connection ends: a batch is read no further. */
  stopped = false;
  /** Each answer frame is read into this one object (answer-frame.ts). */
  private readonly answerRead = new Answer();
  /** Each batch message is read where it is, through this one reader (batch-frame.ts). */
  private readonly batch = new BatchReader();

  constructor(private readonly deps: IntakeDeps) {}

  /**
   * A binary message: a body chunk (chunk-frame.ts), an answer frame (answer-frame.ts) or a batch
   * of frames (batch-frame.ts).
   */
  binary(bytes: Uint8Array) {
    const tunnel = this.tunnel;
    if (!tunnel) return this.deps.fail("binary frame before register");
    if (bytes[0] !== BATCH_KIND)
      return bytes[0] === ANSWER_KIND
        ? this.answer(tunnel, bytes, 0, bytes.byteLength)
        : this.chunk(tunnel, bytes, 0, bytes.byteLength);
    const { batch } = this;
    const problem = batch.over(bytes);
    if (problem !== undefined) return this.deps.fail(problem);
    for (let kind = batch.next(); kind >= 0; kind = batch.next()) {
      if (this.stopped) return;
      if (kind === TEXT_KIND) this.control(batch.text());
      else if (kind === CHUNK_KIND) this.chunk(tunnel, bytes, batch.start, batch.end);
      else if (kind === ANSWER_KIND) this.answer(tunnel, bytes, batch.start, batch.end);
      else return this.deps.fail("request frame from a worker");
    }
  }

  /** A control frame: JSON text, or the value a framework already parsed from it. */
  control(raw: unknown) {
    const { deps, tunnel } = this;
    const value = typeof raw === "string" ? decodeJson(raw) : raw;
    if (value === undefined) return deps.fail("text frame is not JSON");
    // Another version's register is told so before its fields are read: they may be that version's.
    const v = tunnel ? undefined : otherVersion(value);
    if (v !== undefined) return deps.otherVersion(v);
    const parsed = readWorkerFrame(value);
    if (!parsed.ok) return deps.fail(`malformed frame: ${parsed.problem}`);
    const frame = parsed.frame;
    if (!tunnel) {
      if (frame.type === "register") return deps.register(frame);
      if (frame.type === "heartbeat") return;
      return deps.fail("frame before register");
    }
    if (frame.type === "register") return deps.fail("register sent twice");
    if (frame.type === "heartbeat") return;
    if (frame.type === "drain") return deps.drain(tunnel);
    if (frame.type === "announce") return deps.announce(tunnel, frame.apis);
    if (frame.type === "error" && PEER_LINK_ERROR_CODES.has(frame.code))
      return deps.fail(`error code ${frame.code} is a cluster peer link's, not a worker's`);
    tunnel.receive(frame);
  }

  /** The frame at `[start, end)` of `bytes` (a message, or a batch it is in). */
  private answer(to: WorkerTunnel, bytes: Uint8Array, start: number, end: number) {
    const decoded = decodeAnswer(bytes, this.answerRead, start, end);
    if (typeof decoded === "string") return this.deps.fail(decoded);
    to.receiveAnswer(decoded);
  }

  private chunk(to: WorkerTunnel, bytes: Uint8Array, start: number, end: number) {
    const id = chunkId(bytes, start, end);
    if (id < 0) return this.deps.fail("malformed binary frame");
    to.receiveChunk(id, chunkBytes(bytes, start, end));
  }
}
