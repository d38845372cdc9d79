import type { JsonObject } from "../../core/dialect.ts";
import { errorEvent } from "../../core/error-wire.ts";
import { type GatewayError, upstreamError } from "../../core/gateway-error.ts";
import { type GoogleError, readGoogleError } from "../../core/google-errors.ts";
import type { SseEvent } from "../../core/sse.ts";
import type { Usage } from "../../core/usage.ts";
import { ChatChunkBuilder } from "../chat-chunk-builder.ts";
import type { TurnOutput } from "../failed-finish.ts";
import { parseEventData, safeParseBody } from "../parse-body.ts";
import { googleInBandError } from "../stream/in-band-error.ts";
import type { StreamReader, StreamWriter } from "../stream/stream-translation.ts";
import type { UnknownFinish } from "../unknown-finish.ts";
import { failedFinish, finishReasonOfGemini } from "./gemini-finish-reason.ts";
import { chatLogprobsOf } from "./gemini-logprobs.ts";
import { promptBlockReason, toolCallOf } from "./gemini-response-to-chat.ts";
import { type GeminiPart, type GeminiResponse, type GeminiUsage, geminiResponse } from "./gemini-schema.ts";
import { billedUsage, geminiUsageToOpenAI } from "./gemini-usage.ts";
import { groundingCitations } from "./grounding-citations.ts";

const UNREADABLE_ERROR: GoogleError = {
  status: "UNKNOWN",
  code: undefined,
  message: undefined,
  reason: undefined,
  retryAfter: undefined,
  quotaIds: [],
};

/**
 * Reads one `streamGenerateContent?alt=sse` stream's events, each a partial response or Google's
 * `{"error":…}`. Google states the usage so far in every event: the prompt's tokens from the
 * first, then the same figures again on every event until the answer's grow (most often only at
 * the end). A figure is told as it changes, so a stream cut short or failing mid-way is charged
 * what Google said; an event that repeats the last figures tells none (the meter has them), and
 * so costs no conversion into the gateway's usage (half a dozen objects an event, a fifth of its
 * read). One reader a stream: it keeps the figures it told last. The model told with a figure is
 * the one Google says answered (`modelVersion`), where it names one.
 */
export function geminiEventReader(): StreamReader<GeminiResponse> {
  let told: GeminiUsage | undefined;
  return (event) => {
    const body = parseEventData(event.data);
    if (typeof body === "object" && body !== null && "error" in body) {
      // Google's own object; anything else in its place is still the stream failing.
      return { kind: "error", error: googleInBandError(readGoogleError(body) ?? UNREADABLE_ERROR) };
    }
    const parsed = safeParseBody(geminiResponse, body);
    if (!parsed.success) throw upstreamError("upstream sent an unreadable stream event");
    const chunk = parsed.data;
    const stated = chunk.usageMetadata;
    if (stated === undefined || sameCounts(stated, told))
      return withoutCandidate(chunk) ? { kind: "chunk", chunk, usageOnly: true } : { kind: "chunk", chunk };
    told = stated;
    // The model that answered, with the usage the meter keeps it beside (`modelVersion`): the
    // chunks written from it name the caller's.
    const model = chunk.modelVersion;
    return {
      kind: "chunk",
      chunk,
      usage: billedUsage(stated),
      ...(model ? { model } : {}),
      ...(withoutCandidate(chunk) ? { usageOnly: true } : {}),
    };
  };
}

/**
 * An event with no candidate and no prompt blocked: its usage alone (Gemini's, at times the one
 * event of a stream), no token of the answer, as a chat chunk without a choice is. A stream of
 * none but such has no answer in it (stream-translation.ts `end`): the upstream's 502, "… sent a
 * body with no answer in it", as the same answer whole (gemini-provider.ts), not a stream cut
 * short. A blocked prompt's event is the answer's (its `content_filter`, or the route's refusal).
 * Most events hold a candidate, and are told by it.
 */
const withoutCandidate = (response: GeminiResponse): boolean =>
  !response.candidates?.length && promptBlockReason(response) === undefined;

/**
 * Whether Google states the same counts as before: what `billedUsage` reads of them (a modality's
 * share, audio, changes only with its count).
 */
const sameCounts = (a: GeminiUsage, b: GeminiUsage | undefined): boolean =>
  b !== undefined &&
  a.promptTokenCount === b.promptTokenCount &&
  a.toolUsePromptTokenCount === b.toolUsePromptTokenCount &&
  a.candidatesTokenCount === b.candidatesTokenCount &&
  a.thoughtsTokenCount === b.thoughtsTokenCount &&
  a.cachedContentTokenCount === b.cachedContentTokenCount;

/**
 * How a stream answers a prompt Gemini blocked (no candidate, `promptFeedback.blockReason`) in its
 * first event, where the route fails over on a filter's refusal (`Route.refusalFailsOver`): the
 * refusal to throw, with what Google billed. Absent: the answer as Gemini gives it (`content_filter`).
 */
export type PromptRefusal = (blockReason: string, usage: Usage | undefined) => GatewayError;

/** What a stream wrote of one of its choices (a candidate, by Gemini's index). */
class ChoiceState implements TurnOutput {
  toolCalls = 0;
  /** Whether it wrote text or a tool call: a finishReason the gateway does not know fails only one that wrote none. */
  produced = false;
  finishReason: string | undefined;
  /** Its role chunk was written. */
  opened = false;
  /** Its content so far, which Google's grounding indexes: kept only where search was asked. */
  text = "";
  /** Its Google Search grounding: the last Google sent (it sends it whole, most often at the finish). */
  grounding: unknown;
}

/**
 * The state of one `streamGenerateContent?alt=sse` stream translated into chat chunks. Every
 * Gemini event is a partial response: text parts are deltas (a thought summary's `reasoning_content`), a function call arrives whole,
 * `logprobsResult` (when asked for) holds the event's tokens' log probabilities, `finishReason`
 * marks the end and `usageMetadata` (latest wins) the tokens. With `n` above 1
 * (`candidateCount`) each candidate is a choice of its own, by its `index`: an event carries those
 * that moved on, in any order, and the stream is whole when each has finished. There a candidate's
 * failed finish (`failedFinish`), once an earlier event wrote some choice's text or call, closes
 * that choice alone with its finish_reason (`stop`, `tool_calls`): failing the stream would cut off
 * the other answers mid-way, and no route can be tried again once the caller has text.
 */
export class GeminiChunkWriter implements StreamWriter<GeminiResponse> {
  /** Google's stream ends with its body: its answer is whole at every candidate's `finishReason`. */
  readonly noEndMarker = true;
  private readonly chunks: ChatChunkBuilder;
  private started = false;
  private readonly choices = new Map<number, ChoiceState>();
  private usage: GeminiUsage = {};

  constructor(
    id: string,
    model: string,
    includeUsage: boolean,
    private readonly refusal?: PromptRefusal,
    private readonly unknown?: UnknownFinish,
    /** The choices asked for (`n`). */
    private readonly answers = 1,
    /**
     * Google Search asked (`web_search_options`): each choice's text is kept for its grounding's
     * indexes. A stream that did not ask keeps none, and has no grounding to cite.
     */
    private readonly cites = false,
  ) {
    this.chunks = new ChatChunkBuilder(id, model, includeUsage);
  }

  /** The role chunk comes with the first event, in `chunk`. */
  start(): Iterable<SseEvent> {
    return [];
  }

  error(error: GatewayError): SseEvent[] {
    return [errorEvent(error, "openai")];
  }

  chunk(response: GeminiResponse): SseEvent[] {
    const candidates = response.candidates ?? [];
    // Read first: a turn that fails below was billed, and its failure carries what it used.
    if (response.usageMetadata) this.usage = response.usageMetadata;
    // Thrown before anything is written: a stream that fails in its first event may fail over.
    // With several answers asked, one's failure after any wrote closes that one alone (below).
    const failsStream = this.answers <= 1 || !this.wroteAny();
    for (const [position, candidate] of candidates.entries()) {
      const choice = this.choice(candidate.index ?? position);
      // This event's text and calls count: a finish the gateway does not know may close them.
      if (
        !choice.produced &&
        (candidate.content?.parts ?? []).some((part) => answerText(part) || part.functionCall)
      )
        choice.produced = true;
      // Asked only of the event that says a finish: every other event has none to judge.
      const finish = candidate.finishReason;
      const failed = finish ? failedFinish(finish, choice, this.usage, this.unknown) : undefined;
      if (failed && failsStream) throw failed;
    }
    const blocked = promptBlockReason(response);
    if (blocked !== undefined && !this.started && this.refusal)
      throw this.refusal(blocked, billedUsage(this.usage));
    const out: SseEvent[] = [];
    // The first choice's role chunk comes with the first event, whatever it holds.
    if (!this.started) {
      this.started = true;
      out.push(this.opening(0));
    }
    if (blocked !== undefined) this.choice(0).finishReason = "SAFETY";
    for (const [position, candidate] of candidates.entries()) {
      const index = candidate.index ?? position;
      const choice = this.choice(index);
      // Another answer's with its own first event, as OpenAI streams several.
      if (!choice.opened) out.push(this.opening(index));
      // This event's tokens' log probabilities, when asked for: on its first text, as OpenAI's
      // come with the content they are of; on a chunk of their own in an event of no text (a
      // call's), so the stream says every one the whole answer would.
      let logprobs = chatLogprobsOf(candidate.logprobsResult);
      for (const part of candidate.content?.parts ?? []) {
        // A thought summary (there when asked: `includeThoughts`) as the reasoning chat servers stream.
        if (part.thought && part.text)
          out.push(this.chunks.delta({ reasoning_content: part.text }, null, index));
        const text = answerText(part);
        if (text) {
          if (this.cites) choice.text += text;
          out.push(this.chunks.delta({ content: text }, null, index, logprobs));
          logprobs = null;
        }
        const call = toolCallOf(part);
        if (call)
          out.push(this.chunks.delta({ tool_calls: [{ index: choice.toolCalls++, ...call }] }, null, index));
      }
      if (Array.isArray(logprobs?.content) && logprobs.content.length > 0)
        out.push(this.chunks.delta({}, null, index, logprobs));
      if (candidate.groundingMetadata !== undefined) choice.grounding = candidate.groundingMetadata;
      if (candidate.finishReason) choice.finishReason = candidate.finishReason;
    }
    return out;
  }

  get complete(): boolean {
    if (this.choices.size === 0) return false;
    for (const choice of this.choices.values()) if (choice.finishReason === undefined) return false;
    return true;
  }

  /**
   * Each choice's web citations (its grounding, `url_citation` over its whole content) in a chunk
   * of their own, as OpenAI's search models stream them after the text; then the finishes.
   */
  finish(): SseEvent[] {
    const choices = [...this.choices.entries()].sort(([a], [b]) => a - b);
    const out: SseEvent[] = [];
    if (this.cites)
      for (const [index, choice] of choices) {
        const annotations = groundingCitations(choice.grounding, choice.text);
        if (annotations.length > 0) out.push(this.chunks.delta({ annotations }, null, index));
      }
    const finishes = choices.map(([index, choice]) => ({
      index,
      reason: finishReasonOfGemini(choice.finishReason, choice.toolCalls > 0),
    }));
    out.push(...this.chunks.closing(finishes, geminiUsageToOpenAI(this.usage) as JsonObject));
    return out;
  }

  /** Whether some choice has written text or a tool call. */
  private wroteAny(): boolean {
    for (const choice of this.choices.values()) if (choice.produced) return true;
    return false;
  }

  /** Choice `index`'s role chunk. */
  private opening(index: number): SseEvent {
    this.choice(index).opened = true;
    return this.chunks.delta({ role: "assistant", content: "", refusal: null }, null, index);
  }

  /** Choice `index`'s state, begun on its first event. */
  private choice(index: number): ChoiceState {
    let choice = this.choices.get(index);
    if (choice === undefined) {
      choice = new ChoiceState();
      this.choices.set(index, choice);
    }
    return choice;
  }
}

/** A part's text as the answer's: a thought summary (`thought: true`) is none. */
const answerText = (part: GeminiPart): string | undefined =>
  part.thought ? undefined : part.text || undefined;
