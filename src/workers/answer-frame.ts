import { AsciiCache, AsciiFields, asciiSize, writeAscii } from "./ascii-text.ts";
import { readU16, readU32, writeU16, writeU32 } from "./big-endian.ts";

/**
 * A reply's `head`, its `end`, or both around a whole body, in binary (docs/worker-protocol.md,
 * "Binary answer frame"), sent only to a gateway that announced `binaryAnswers`: no JSON to
 * write on the worker nor to parse on the gateway, and a small non-stream answer is one frame
 * instead of three.
 *
 * A 1-byte kind, the request id as a big-endian u32, a flags byte (`1` head, `2` end); with a
 * head, its status as a u16 and its content type and `Retry-After` each behind a 1-byte length
 * (printable ASCII); then body bytes to the end of the frame (only with both head and end).
 */
export const ANSWER_KIND = 4;
export const ANSWER_HEAD = 1;
export const ANSWER_END = 2;
/** Kind, id, flags. */
const FIXED_BYTES = 6;
const STATUS_BYTES = 2;
const MAX_RETRY_AFTER = 64;

const EMPTY = new Uint8Array(0);

/**
 * What one answer frame carries, read into an object its reader keeps (a worker connection has
 * one: answer frames are read for every request, and a fresh object with a head object in it was
 * two cells a request). Read its fields before the next frame is read into it.
 */
export class Answer {
  id = 0;
  /** The head's status; 0 on a lone end (no head). */
  status = 0;
  contentType = "";
  retryAfter: string | undefined = undefined;
  end = false;
  /** A view into the frame. */
  body: Uint8Array = EMPTY;
}

/** What an answer frame's head says. */
export interface AnswerHead {
  status: number;
  contentType: string;
  retryAfter?: string | undefined;
}

/**
 * The bytes of an answer frame up to its body (kind, id, flags, status, texts), or -1 when the
 * head's texts do not fit one (not printable ASCII, too long): the JSON `head` frame takes those.
 */
export function answerHeadSize(head: AnswerHead): number {
  const retryAfter = head.retryAfter ?? "";
  const typeBytes = asciiSize(head.contentType);
  const retryBytes = retryAfter.length <= MAX_RETRY_AFTER ? asciiSize(retryAfter) : -1;
  if (typeBytes < 0 || retryBytes < 0) return -1;
  return FIXED_BYTES + STATUS_BYTES + typeBytes + retryBytes;
}

/**
 * Writes an answer frame's head (`answerHeadSize` bytes, which accepted it) at `at` of `out`, the
 * body to follow only with `end`; returns where the body starts. A writer frames a whole answer in
 * place with it, inside its batch (batch-frame.ts), rather than in a frame of its own first.
 */
export function writeAnswerHead(
  out: Uint8Array,
  at: number,
  id: number,
  head: AnswerHead,
  end: boolean,
): number {
  out[at] = ANSWER_KIND;
  writeU32(out, at + 1, id);
  out[at + 5] = end ? ANSWER_HEAD | ANSWER_END : ANSWER_HEAD;
  writeU16(out, at + FIXED_BYTES, head.status);
  return writeAscii(
    out,
    writeAscii(out, at + FIXED_BYTES + STATUS_BYTES, head.contentType),
    head.retryAfter ?? "",
  );
}

/**
 * The frame for a head (and, with `end`, the whole answer with `body`), or undefined when the
 * head's texts do not fit it (`answerHeadSize`).
 */
export function encodeAnswer(
  id: number,
  head: AnswerHead,
  end: boolean,
  body: Uint8Array = EMPTY,
): Uint8Array<ArrayBuffer> | undefined {
  const headBytes = answerHeadSize(head);
  if (headBytes < 0) return undefined;
  const frame = new Uint8Array(headBytes + body.byteLength);
  frame.set(body, writeAnswerHead(frame, 0, id, head, end));
  return frame;
}

/** A lone end. */
export function encodeAnswerEnd(id: number): Uint8Array<ArrayBuffer> {
  const frame = new Uint8Array(FIXED_BYTES);
  frame[0] = ANSWER_KIND;
  writeU32(frame, 1, id);
  frame[5] = ANSWER_END;
  return frame;
}

/** The last content type read: the same on most answers. */
const lastContentType = new AsciiCache();
/** The reader of every answer frame's texts (a decode is not re-entered). */
const answerFields = new AsciiFields();

/**
 * The answer in a frame, read into `into` (a new `Answer` by default), or a problem: a frame cut
 * short, unknown flags, a body without both head and end, a status out of 200–599, text that is
 * not printable ASCII. `start` and `end`: the frame's bounds in a batch message it is read in
 * (batch-frame.ts's `BatchReader`), the body then a view into the message.
 */
export function decodeAnswer(
  frame: Uint8Array,
  into: Answer = new Answer(),
  start = 0,
  end = frame.byteLength,
): Answer | string {
  if (end - start < FIXED_BYTES || frame[start] !== ANSWER_KIND) return "answer frame cut off";
  const id = readU32(frame, start + 1);
  const flags = frame[start + 5] as number;
  const ended = (flags & ANSWER_END) !== 0;
  if (flags === 0 || (flags & ~(ANSWER_HEAD | ANSWER_END)) !== 0) return `answer frame flags ${flags}`;
  if (!(flags & ANSWER_HEAD)) {
    if (end - start !== FIXED_BYTES) return "end with a body";
    return read(into, id, 0, "", undefined, ended, EMPTY);
  }
  if (end - start < FIXED_BYTES + STATUS_BYTES) return "answer frame cut off";
  const status = readU16(frame, start + FIXED_BYTES);
  if (status < 200 || status > 599) return `answer status ${status}`;
  const fields = answerFields.over(frame, start + FIXED_BYTES + STATUS_BYTES, end);
  const contentType = fields.next(lastContentType);
  const retryAfter = contentType === undefined ? undefined : fields.next();
  if (retryAfter === undefined || retryAfter.length > MAX_RETRY_AFTER)
    return "answer text cut off or not printable ASCII";
  const bodyAt = fields.at;
  if (!ended && bodyAt < end) return "head with a body but no end";
  const body = bodyAt < end ? frame.subarray(bodyAt, end) : EMPTY;
  return read(into, id, status, contentType as string, retryAfter || undefined, ended, body);
}

function read(
  into: Answer,
  id: number,
  status: number,
  contentType: string,
  retryAfter: string | undefined,
  end: boolean,
  body: Uint8Array,
): Answer {
  into.id = id;
  into.status = status;
  into.contentType = contentType;
  into.retryAfter = retryAfter;
  into.end = end;
  into.body = body;
  return into;
}
