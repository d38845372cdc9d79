import type { StreamWire } from "../core/error-wire.ts";
import { skipSpace } from "./relay-event-checks.ts";
import { indexOf } from "./relay-key-search.ts";

const encoder = new TextEncoder();

/**
 * The keys whose string values are the answer's text in each wire's stream events, as the caller
 * gets them: chat's deltas (`content`, a tool call's `arguments`, `refusal`, a reasoning server's
 * `reasoning_content`), Anthropic's (`text_delta`'s `text`, `input_json_delta`'s `partial_json`,
 * `thinking_delta`'s `thinking`), the Responses API's `delta` of every `….delta` event (its `.done`
 * events and `response.completed` say the same text again, under other keys: not counted). The
 * same upstream answer so counts the same, whichever front door it went out of. Without their
 * opening quote (relay-key-search.ts `keyWithValueAt`).
 */
const TEXT_KEYS: Readonly<Record<StreamWire, readonly Uint8Array[]>> = {
  openai: ['content"', 'arguments"', 'refusal"', 'reasoning_content"'].map((key) => encoder.encode(key)),
  anthropic: ['text"', 'partial_json"', 'thinking"'].map((key) => encoder.encode(key)),
  responses: [encoder.encode('delta"')],
};

const QUOTE = 34;
const COLON = 58;
const BACKSLASH = 92;
const LOWER_U = 117;

/**
 * Counts the characters of answer text a stream relays, read off the bytes handed to the client
 * (whole events only): what a stream whose upstream reported no usage is estimated by, at four
 * characters a token as a whole answer is (http/stream-usage.ts). A few native searches a write,
 * a loop over the text itself; no allocation.
 */
export class AnswerText {
  /** Characters of text relayed so far: an escape (`\n`, `\u00e9`) one, a character outside ASCII one. */
  chars = 0;
  private readonly keys: readonly Uint8Array[];

  constructor(wire: StreamWire) {
    this.keys = TEXT_KEYS[wire];
  }

  /** Counts the text in bytes about to go to the client. */
  add(bytes: Uint8Array): void {
    for (const key of this.keys) {
      let at = indexOf.call(bytes, key, 0);
      while (at !== -1) {
        at = this.valueAfter(bytes, key, at);
        if (at !== -1) at = indexOf.call(bytes, key, at);
      }
    }
  }

  /** A string value of the key found at `at`, counted: where to search on from (-1: the end). */
  private valueAfter(bytes: Uint8Array, key: Uint8Array, at: number): number {
    const end = bytes.length;
    // A key, not text that says its name: its opening quote before it, a colon and a string after.
    if (at === 0 || bytes[at - 1] !== QUOTE) return at + 1;
    let i = skipSpace(bytes, at + key.length, end);
    if (bytes[i] !== COLON) return at + 1;
    i = skipSpace(bytes, i + 1, end);
    if (bytes[i] !== QUOTE) return at + 1;
    let chars = 0;
    for (i++; i < end; i++) {
      const byte = bytes[i] as number;
      if (byte === QUOTE) break;
      if (byte === BACKSLASH) i += bytes[i + 1] === LOWER_U ? 5 : 1;
      // A UTF-8 continuation byte is part of the character before it.
      if ((byte & 0xc0) !== 0x80) chars++;
    }
    this.chars += chars;
    return i < end ? i + 1 : -1;
  }
}
