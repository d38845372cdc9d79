import type { Dialect } from "../core/dialect.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import type { Provider } from "../providers/provider.ts";
import { StreamUsageMeter } from "../translate/stream-usage-meter.ts";
import { adaptDialect } from "./adapt-dialect.ts";
import { Attempt } from "./attempt.ts";
import { ByteRelay } from "./byte-relay.ts";

// What the ByteRelay tests share (test support, not shipped): the recorded streams, an upstream
// body that answers each read with the next part, and a relay wired as the router wires one.

export const encoder = new TextEncoder();
export const text = (chunks: Uint8Array[]) => new TextDecoder().decode(Buffer.concat(chunks));
export const decode = (chunk: Uint8Array | undefined) => new TextDecoder().decode(chunk);

export const CHUNK = (i: number) =>
  `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"w${i}"}}],"usage":null}\n\n`;
/** The chunk that ends a choice; `reason` as JSON (`'"stop"'`, or null: not yet). */
export const FINISH = (reason: string | null) =>
  `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":${reason}}],"usage":null}\n\n`;
export const USAGE_CHUNK =
  'data: {"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}\n\n';
export const OPENAI_STREAM = `${CHUNK(0)}${CHUNK(1)}${CHUNK(2)}${USAGE_CHUNK}data: [DONE]\n\n`;

export const ANTHROPIC_STREAM = [
  'event: message_start\ndata: {"type":"message_start","message":{"id":"m","usage":{"input_tokens":20,"cache_read_input_tokens":5,"output_tokens":1}}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}\n\n',
  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
].join("");

const openai: Provider = { name: "a", dialect: "openai", call: () => Promise.reject(new Error("unused")) };
/** The predicate the router uses when it forced `include_usage` for a caller that did not ask. */
const stripForced = adaptDialect("chat", { model: "m", messages: [], stream: true }, openai, "m").keep;

export interface Upstream {
  readonly stream: ReadableStream<Uint8Array>;
  /** Set when the relay cancelled its read of the upstream. */
  cancelled: boolean;
}

/** An upstream body that answers each read with the next part; `stall` leaves the last read pending. */
export function upstream(parts: Uint8Array[], stall = false): Upstream {
  let at = 0;
  const state: Upstream = {
    cancelled: false,
    stream: new ReadableStream<Uint8Array>({
      pull(controller) {
        const part = parts[at++];
        if (part) controller.enqueue(part);
        else if (stall) return new Promise(() => {});
        else controller.close();
      },
      cancel() {
        state.cancelled = true;
      },
    }),
  };
  return state;
}

/** An upstream whose body is the given stream as it is (for bodies a test builds itself). */
export const body = (stream: ReadableStream<Uint8Array>): Upstream => ({ stream, cancelled: false });

export function relay(
  up: Upstream,
  dialect: Dialect,
  /** `provider`: whose stream it is, as a route's provider is named (default `a`; a worker's `worker:w1`). */
  options: { strip?: boolean; idleMs?: number; declared?: number; provider?: string } = {},
) {
  const meter = new StreamUsageMeter(dialect);
  const attempt = new Attempt(
    new AbortController().signal,
    { connectMs: 5_000, firstByteMs: 5_000, idleMs: options.idleMs ?? 5_000 },
    "a",
  );
  let done = 0;
  let failure: GatewayError | undefined;
  const source = new ByteRelay(
    up.stream.getReader(),
    attempt,
    {
      provider: options.provider ?? "a",
      maxLine: 4096,
      onUsage: (event) => {
        meter.observe(event);
        return options.strip && stripForced ? stripForced(event) : true;
      },
      done: (error) => {
        done++;
        failure = error;
      },
    },
    options.declared,
  );
  /** `done`: how often the relay ended (once, always); `failure`: what it ended with, if it failed. */
  return { source, meter, attempt, done: () => done, failure: () => failure };
}

export async function readAll(source: ByteRelay): Promise<Uint8Array[]> {
  await source.start();
  const out: Uint8Array[] = [];
  for (let chunk = await source.next(); chunk; chunk = await source.next()) out.push(chunk);
  return out;
}

/** What a relay that fails part way gave out, and the error it failed with (`undefined` if none). */
/** A relay as the tests read one: started, then pulled to its end (a `TranslatedRelay` too). */
export interface Relay {
  start(): unknown;
  next(): Promise<Uint8Array | undefined>;
}

export async function readUntilError(
  source: Relay,
): Promise<{ out: Uint8Array[]; error: GatewayError | undefined }> {
  await source.start();
  const out: Uint8Array[] = [];
  try {
    for (let chunk = await source.next(); chunk; chunk = await source.next()) out.push(chunk);
    return { out, error: undefined };
  } catch (error) {
    return { out, error: error as GatewayError };
  }
}

export const splitAt = (whole: string, i: number) => {
  const bytes = encoder.encode(whole);
  return [bytes.subarray(0, i), bytes.subarray(i)].filter((part) => part.length > 0);
};
