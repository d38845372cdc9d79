import { isJsonObject } from "../core/dialect.ts";
import type { SseEvent } from "../core/sse.ts";
import { parseEventData } from "../translate/parse-body.ts";

/**
 * The named events that open an answer in each dialect: Anthropic's, then the Responses API's
 * (the byte relay compares their bytes: relay-event-checks.ts).
 */
export const OPENING_EVENTS = ["message_start", "ping", "response.created", "response.in_progress"];
const OPENING_NAMES: ReadonlySet<string> = new Set(OPENING_EVENTS);

/**
 * Whether a stream event only opens the answer, saying nothing of it yet: Anthropic's
 * `message_start` and `ping`, the Responses API's `response.created` and `response.in_progress`,
 * and a chat chunk whose deltas carry only the role (their content empty), with no usage. An
 * upstream that fails right after them (Anthropic's `overloaded_error` after `message_start`)
 * has said nothing the client could use, so the relays hold them until the answer's first event,
 * and such a failure is still the router's to retry or fail over (the SDKs do not retry an error
 * inside a stream). Asked only of a stream's first events, until one is not.
 */
export function opensAnswer(event: SseEvent): boolean {
  return event.event === undefined ? chunkOpensAnswer(event.data) : OPENING_NAMES.has(event.event);
}

/**
 * A chat delta's role key, as a chunk's JSON holds it: a chunk without it is the answer's own,
 * never only its opening (the byte relay looks for its bytes: relay-event-checks.ts).
 */
export const ROLE_KEY = '"role"';

/**
 * Whether a stream event may only open the answer, told without a decode: an opening event by its
 * name, a chat chunk that names a role (whether it says anything else takes `chunkOpensAnswer`).
 * Every other event is the answer's own.
 */
export function mayOpenAnswer(event: SseEvent): boolean {
  return event.event === undefined ? event.data.includes(ROLE_KEY) : OPENING_NAMES.has(event.event);
}

/**
 * Whether a chat chunk, by its data, only opens the answer (`opensAnswer` of an unnamed event):
 * the byte relay hands over the data of a chunk that names a role, and nothing else.
 */
export function chunkOpensAnswer(data: string): boolean {
  // A chunk that names no role is the answer's: most are, and are told without a parse.
  return data.includes(ROLE_KEY) && saysOnlyTheRole(parseEventData(data));
}

/**
 * A relay's hold on its answer's opening (the byte relay's scan, relay-scan.ts; the translated
 * relay, translated-relay.ts): its own fields, no object made a stream. Until an event of the
 * answer itself goes by, the events that only open it are held, and a failure is still the
 * router's to retry or fail over. Whether a chat chunk that names the role only opens the answer
 * takes a decode, which the event after it spares when it is plainly the answer's own (the answer
 * began then, whatever the chunk held): so the relay holds the chunk, its verdict open
 * (`holdsOpening`). The next plain event of the answer means the answer began (`answerBegan`);
 * any other event, or the end of the read the chunk came in, decodes it (`settleOpening`).
 */
export interface OpeningHold {
  /**
   * An event of the answer itself went by, not only its opening: the relay may commit. Never
   * unset. While `holdsOpening`, false for now only: `settleOpening` reads it final.
   */
  answering: boolean;
  /** A role chunk came before the answer began, whether it only opened it still open. */
  holdsOpening: boolean;
  /** The held chunk's data, as text (the relay may keep it as bytes until asked). */
  heldChunk(): string;
}

/** An event plainly the answer's own went by: the answer began, a held chunk left undecoded. */
export function answerBegan(hold: OpeningHold): void {
  hold.holdsOpening = false;
  hold.answering = true;
}

/** Whether the answer began, a held chunk's verdict decoded first: `answering`, final. */
export function settleOpening(hold: OpeningHold): boolean {
  if (hold.holdsOpening) {
    hold.holdsOpening = false;
    hold.answering = !chunkOpensAnswer(hold.heldChunk());
  }
  return hold.answering;
}

/**
 * A chat chunk with choices and no usage, each choice's delta its role and nothing else but empty
 * fields. A chunk without a role is never one (the byte relay tells by its bytes, undecoded).
 */
function saysOnlyTheRole(chunk: unknown): boolean {
  if (!isJsonObject(chunk) || !Array.isArray(chunk.choices) || (chunk.usage ?? null) !== null) return false;
  if (chunk.choices.length === 0) return false;
  for (const choice of chunk.choices) {
    if (!isJsonObject(choice) || (choice.finish_reason ?? null) !== null) return false;
    const delta = choice.delta;
    if (!isJsonObject(delta) || typeof delta.role !== "string") return false;
    // `for…in` over parsed JSON (own keys only): no array of entries made, once a stream.
    for (const key in delta) {
      const value = delta[key];
      if (key !== "role" && value !== "" && value !== null) return false;
    }
  }
  return true;
}
