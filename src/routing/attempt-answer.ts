import type { JsonObject } from "../core/dialect.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { holdsNoAnswer } from "../core/holds-no-answer.ts";
import type { SseEvent } from "../core/sse.ts";
import { noAnswer, wholeForStream } from "../providers/http/read-reply.ts";
import { TranslatedEvents } from "../providers/http/translated-reply.ts";
import { UpstreamEvents } from "../providers/http/upstream-events.ts";
import type { Provider, ProviderReply } from "../providers/provider.ts";
import { namedFailure } from "../providers/upstream-name.ts";
import { ChainedTranslation, KeptEvents } from "../translate/stream/chained-translation.ts";
import { loopOver } from "../translate/stream/stream-driver.ts";
import { reportsUsage } from "../translate/stream-estimate.ts";
import {
  anthropicUsageOf,
  chatUsageOf,
  usageFromAnthropic,
  usageFromOpenAI,
} from "../translate/usage-mapping.ts";
import { estimatedWholeUsage } from "../translate/whole-estimate.ts";
import type { AdaptedCall } from "./adapt-dialect.ts";
import { opensAnswer } from "./answer-opening.ts";
import { inCallerNames } from "./caller-param.ts";
import { CountedEvents } from "./counted-events.ts";
import { EventChunks, EventReader, failureReported } from "./event-chunks.ts";
import { type ClientReply, readNativeReply } from "./native-reply.ts";
import { mayHoldAnswer } from "./no-choice.ts";
import { OwedEventUsage } from "./owed-event-usage.ts";
import type { RouteAttempt } from "./route-attempt.ts";
import type { READ_ON } from "./stepped-reads.ts";
import { cutOff, DONE_DATA, malformedData, malformedEvent, upstreamErrorIn } from "./stream-end.ts";
import { TranslatedRelay } from "./translated-relay.ts";

/**
 * The upstream's reply read as far as the router must before committing, run as the reply
 * arrives (the attempt's read steps into it: `RouteAttempt.arrived`): a same-dialect answer's
 * body (read on by the same promise, `Attempt.readOn`) or a stream's first event, relayed as
 * bytes; a translated stream's first event; or a whole JSON answer in hand.
 */
export function answerOf(
  call: RouteAttempt,
  reply: ProviderReply,
): ClientReply | Promise<ClientReply> | typeof READ_ON {
  if (reply.kind === "http") return readNativeReply(reply.response, call, true);
  if (reply.kind === "json") {
    // A filter's refusal that came as an answer fails over as its 400 would, where fallback_on says so.
    if (reply.refusal && call.target.refusalFailsOver) throw reply.refusal;
    // A stream asked for: a whole answer is the upstream's failure, as a built-in upstream's whole
    // body is (an embedder's provider that ignored `stream`); relayed, the SDK read it as no chunk.
    if (call.stream) throw wholeForStream(call.provider, 'kind "json"');
    // An answer with none in it, as a provider built it (Bedrock's InvokeModel, an embedder's
    // provider): its caller's SDK would crash on it (`choices[0]`), its translation would have
    // nothing to say. The same reading as an answer read as bytes (native-reply.ts); Claude's
    // `content: []` at `end_turn` is an answer.
    if (holdsNoAnswer(call.adapted.operation, reply.body)) throw noAnswer(call.provider);
    call.readWhole(reply.body, reply.answeredModel, reply.usage);
    return { kind: "json", body: call.adapted.json(withUsageTold(call, reply.body), call.sent) };
  }
  return firstEvent(call, reply.events);
}

export const usageOf = (provider: Provider) =>
  provider.dialect === "anthropic" ? usageFromAnthropic : usageFromOpenAI;

/** Usage as `provider`'s answers write it: what `usageOf` reads back. */
const usageBodyOf = (provider: Provider) =>
  provider.dialect === "anthropic" ? anthropicUsageOf : chatUsageOf;

/**
 * A whole answer as its translation for the caller reads it: where the upstream reported no usage
 * (`reportsUsage`, as whole-usage.ts asks), the estimate it is charged (translate/whole-estimate.ts)
 * written in as the upstream's own usage and made the attempt's, which the record reads. The
 * translation then tells the caller that figure in its dialect's usage (and the store a Responses
 * answer, which it hands the store before it returns), where it said 0: what the caller is told is
 * what it is billed. Estimated from the caller's request (`AdaptedCall.prompt`), as its stream would
 * be. An answer that reported usage is passed on with nothing more done; one not translated (no
 * `prompt`) is untouched: its caller gets the upstream's body as it came.
 */
function withUsageTold(call: RouteAttempt, body: JsonObject): JsonObject {
  const prompt = call.adapted.prompt;
  if (reportsUsage(call.found) || prompt === undefined) return body;
  // Over what it did report (a search's count, cached tokens), as an untranslated answer's estimate is.
  const told = { ...call.found, ...estimatedWholeUsage(prompt, body) };
  call.found = told;
  return { ...body, usage: usageBodyOf(call.upstream)(told) };
}

/**
 * A stream of decoded events (a translation, or a provider that yields events) read until its
 * first event, under the first-byte bound: a stream that fails before its first translated event
 * may still be retried or failed over. The closures it needs are made here, on this path only.
 */
function firstEvent(call: RouteAttempt, events: AsyncIterable<SseEvent>): ClientReply | Promise<ClientReply> {
  const { attempt, adapted } = call;
  // A provider's own events translated for the caller are counted as the translation reads them,
  // each a sign of life for the idle bound; an HTTP upstream's body, by the relay that reads it
  // (`ChunkSource.upstreamEvents`, and each read rearms it: translated-relay.ts), a body translated
  // twice (a caller's custom tools, a compaction through chat from Anthropic) too: by its first loop.
  const counted =
    adapted.stream && !(events instanceof TranslatedEvents || events instanceof UpstreamEvents)
      ? new CountedEvents(events, attempt)
      : undefined;
  const upstream = counted ?? events;
  const translated = adapted.stream?.(
    upstream,
    (found, model) => call.readUsage(found, model),
    call.maxBody,
    call.sent,
  );
  const failureEvents = translated?.failureEvents && inCallersWords(translated.failureEvents, adapted);
  // The caller's translation as one loop over the upstream's events: its own, or chained after the
  // one it translates again (a caller's custom tools, a compaction through chat), so the relay
  // runs both over each read, as it runs a provider's and the caller's. Only for a relay below:
  // counted events (an embedder's, the mock's) are read by the driver, and need no chain made.
  const loop = translated && counted === undefined ? loopOver(translated, upstream) : undefined;
  if (events instanceof TranslatedEvents && (!translated || loop)) {
    // A provider's stream (Bedrock, Gemini) as its body's reads: its translation, then the
    // caller's (or the usage meter's pass), run over each read: one chunk for the client a read.
    const translation = new ChainedTranslation(events.translation, loop || new KeptEvents(call));
    return new TranslatedRelay(events.upstream, attempt, translation, failureEvents, call).start();
  }
  if (translated && loop && events instanceof UpstreamEvents) {
    // An HTTP upstream's stream, translated a read at a time: one chunk for the client a read.
    return new TranslatedRelay(events, attempt, loop, failureEvents, call).start();
  }
  // A relay above arms the first-byte bound itself, when its first read must wait.
  attempt.arm("first byte", attempt.timeouts.firstByteMs);
  const source = translated ? translated.events : events;
  if (translated) {
    const reader = new EventReader(source[Symbol.asyncIterator](), attempt, undefined);
    return eventChunks(call, reader, failureEvents, counted);
  }
  // The caller's own dialect: where it asked for usage itself, it may be owed a chunk of it. An
  // event that is no JSON object fails the stream, as the byte relay's does (stream-end.ts).
  const asked = call.usageAsked;
  const owed = asked && new OwedEventUsage(asked, (upstreamEvents) => call.recordEstimate(upstreamEvents));
  const { provider } = call;
  const reader = new EventReader(
    source[Symbol.asyncIterator](),
    attempt,
    owed
      ? (event) => {
          if (malformedData(event.data)) throw malformedEvent(provider);
          owed.saw(event);
          return call.onUsage(event);
        }
      : (event) => {
          if (malformedData(event.data)) throw malformedEvent(provider);
          return call.onUsage(event);
        },
  );
  return eventChunks(call, reader, undefined, counted, owed);
}

/**
 * A translated stream's end in failure, its error's `param` in the caller's words (a Responses
 * caller's `input`, not the chat request's `messages`), as a failure before the stream is
 * (try-route.ts): made once a stream, for a translation that renames any field.
 */
function inCallersWords(
  failureEvents: (error: GatewayError) => SseEvent[],
  { callerNames, callerPaths }: AdaptedCall,
): (error: GatewayError) => SseEvent[] {
  if (callerNames === undefined && callerPaths === undefined) return failureEvents;
  return (error) => failureEvents(inCallerNames(error, callerNames, callerPaths));
}

/**
 * A stream of events, relayed an event a pull once the answer's first is in: the events that only
 * open it (answer-opening.ts) and chat chunks without a choice (Azure's prompt filter results:
 * no-choice.ts) wait for it, and go out with it, so that a failure right after them is still the
 * router's to retry or fail over — as the byte relay holds them (relay-scan.ts `watchOpening`).
 */
async function eventChunks(
  call: RouteAttempt,
  reader: EventReader,
  failureEvents: ((error: GatewayError) => SseEvent[]) | undefined,
  counted: CountedEvents | undefined,
  owed?: OwedEventUsage,
): Promise<ClientReply> {
  const { attempt, provider } = call;
  let first: IteratorResult<SseEvent>;
  let opening: SseEvent[] | undefined;
  /** Of `opening`, the chunks without a choice. */
  let choiceless = 0;
  try {
    first = await reader.next();
    while (!first.done) {
      const event = first.value;
      // Asked of a stream's first events only, until one is the answer's (most streams: one).
      if (!opensAnswer(event)) {
        if (mayHoldAnswer(event)) break;
        choiceless++;
      }
      opening ??= [];
      opening.push(event);
      first = await reader.next();
    }
  } catch (error) {
    // A translation's stream with no answer in it, not told whose it read: named, as the relays name it.
    throw error instanceof GatewayError ? namedFailure(error, provider) : error;
  }
  if (first.done && opening) throw cutOff(provider);
  // `[DONE]` after chunks without a choice alone (or none): a stream with no answer in it, as the
  // byte relay reads it; after a chunk with a choice (a role chunk), the answer's end.
  if (!first.done && first.value.data === DONE_DATA && choiceless === (opening?.length ?? 0))
    throw noAnswer(provider);
  // The stream's own failure before any event of the answer (Claude on Bedrock's in-band `error`
  // chunk): nothing reached the client, so it is the attempt's to retry or fail over, as the byte
  // relay's is.
  const failed = first.done ? undefined : failureReported(first.value);
  if (failed && !first.done) throw upstreamErrorIn(first.value, failed);
  const chunks = new EventChunks(
    first,
    reader,
    attempt,
    (error?: GatewayError) => call.done(error),
    provider,
    opening,
    counted,
    owed,
  );
  return { kind: "stream", chunks, ...(failureEvents ? { failureEvents } : {}) };
}
