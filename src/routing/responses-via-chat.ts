import type { JsonObject } from "../core/dialect.ts";
import { badRequest, GatewayError } from "../core/gateway-error.ts";
import { DEFAULT_MAX_UPSTREAM_BODY } from "../providers/http/read-bounded.ts";
import { takesThinkingBack } from "../providers/takes-thinking-back.ts";
import type { CallerPaths } from "../translate/caller-paths.ts";
import { sentBound, wholeCutTold } from "../translate/cut-tool-call.ts";
import { Dropped, type UnsupportedPolicy } from "../translate/dropped.ts";
import { parseBody } from "../translate/parse-body.ts";
import { chatResponseToResponse } from "../translate/responses/chat-response-to-response.ts";
import { chatStreamToResponses } from "../translate/responses/chat-stream-to-responses.ts";
import { compactionItem, compactionResponse, summaryOf } from "../translate/responses/compaction.ts";
import { responsesParam } from "../translate/responses/input-item-checks.ts";
import { inputItems } from "../translate/responses/input-items.ts";
import { MessagesToResponsesWriter } from "../translate/responses/messages-to-responses-writer.ts";
import {
  type ChatFromResponses,
  responsesRequestToChat,
} from "../translate/responses/responses-request-to-chat.ts";
import { responsesSchemas } from "../translate/responses/responses-schema.ts";
import { summaryName } from "../translate/responses/responses-settings-to-chat.ts";
import { readMessagesEvent } from "../translate/stream/messages-event-reader.ts";
import { translateStream } from "../translate/stream/stream-driver.ts";
import type { AdaptedCall, ResponsesContext } from "./adapt-dialect.ts";
import { type CallerNames, type CallerNaming, callerName, inCallerNames } from "./caller-param.ts";
import { chatUpstreamNeeds } from "./chat-upstream-needs.ts";
import { sameDialect } from "./same-dialect-call.ts";
import { chatTargetOf, type Target, translatedChat, translatesChat } from "./translated-chat.ts";
import { type HintNames, translationHints } from "./translation-hints.ts";

/** The chat request a Responses request becomes, its stored turns and referenced items in their places. */
const chatRequestOf = (
  body: JsonObject,
  target: Target,
  context: ResponsesContext,
  policy: UnsupportedPolicy,
): ChatFromResponses =>
  responsesRequestToChat(
    body,
    context.previous,
    policy,
    context.referenced,
    chatUpstreamNeeds(target.provider),
  );

/**
 * The chat call a Responses call became, on `provider`: what the chat step cannot carry is named
 * as the caller knows it (`text.verbosity`, not the chat request's `verbosity`).
 */
function chatOf(
  translated: ChatFromResponses,
  target: Target,
  model: string,
  policy: UnsupportedPolicy,
  chained: boolean,
  names: CallerNames,
): AdaptedCall {
  const body = translated.body;
  // Not translated on: an OpenAI-dialect provider, whose chat call goes as it came (adaptDialect's
  // same-dialect branch for "chat").
  if (!translatesChat(target.provider)) return sameDialect("chat", body, target.provider);
  const { paths } = translated;
  try {
    // A stored chain's turns lead every turn's prompt: cacheable where Claude caches (automatic-caching.ts).
    const dropped = new Dropped(policy, names, paths);
    return translatedChat(body, target, model, dropped, undefined, chained);
  } catch (error) {
    // A part the next translation cannot take (a file Anthropic has no block for) is the caller's.
    throw error instanceof GatewayError ? inCallerNames(error, undefined, paths) : error;
  }
}

/**
 * A Responses caller's conversation is its `input`: an error about the prompt as a whole (a
 * context too long, which chat upstreams, and the gateway for an upstream that names no field, say
 * of `messages`) names that. Native routes' errors too (adapt-dialect.ts).
 */
export const RESPONSES_CONVERSATION: CallerNames = { messages: "input" };

/** Chat fields a Responses call sets under another name (responses-request-to-chat.ts). */
const RESPONSES_NAMES: CallerNames = {
  ...RESPONSES_CONVERSATION,
  verbosity: "text.verbosity",
  logprobs: "top_logprobs",
  top_logprobs: "top_logprobs",
  max_tokens: "max_output_tokens",
  max_completion_tokens: "max_output_tokens",
  response_format: "text.format",
  reasoning_effort: "reasoning.effort",
  // Gemini's thought summaries, asked for by the caller's summary (responses-settings-to-chat.ts),
  // or by its deprecated name (`responsesNames`).
  include_reasoning: "reasoning.summary",
  // What of a `web_search` tool the target's search has no setting for (ChatTarget.namesLeftOut).
  "web_search_options.search_context_size": "tools.web_search.search_context_size",
  "web_search_options.user_location": "tools.web_search.user_location",
  // The chat step's names for an Anthropic route's refusal of the format's schema (caller-param.ts).
  "response_format.json_schema.schema": "text.format.schema",
};

/** The caller's names for what a translation may write of its own: a Responses caller's. */
const RESPONSES_HINTS: HintNames = {
  effort: "reasoning.effort",
  bound: "max_output_tokens",
  format: "text.format",
  logprobs: "top_logprobs",
  thoughts: "reasoning.summary",
};

/** A Responses call's names for the chat fields (`names`) and for the hints (`hints`). */
interface ResponsesNames {
  readonly names: CallerNames;
  readonly hints: HintNames;
}

/** The names of every Responses call but one that asked by `reasoning.generate_summary`. */
const SUMMARY_NAMES: ResponsesNames = { names: RESPONSES_NAMES, hints: RESPONSES_HINTS };

/** The names a Responses call `body` is told, the summary's as it sent it (`summaryName`). */
function responsesNames(body: JsonObject): ResponsesNames {
  const thoughts = summaryName(body.reasoning);
  if (thoughts === RESPONSES_HINTS.thoughts) return SUMMARY_NAMES;
  return {
    names: { ...RESPONSES_NAMES, include_reasoning: thoughts },
    hints: { ...RESPONSES_HINTS, thoughts },
  };
}

/**
 * The caller's names for the fields of what the chat step sent on: its own names for them (an
 * Anthropic route's `tools.1.custom.input_schema` is the chat request's `tools[1].function.parameters`),
 * then the Responses call's for those (that chat tool's Responses path, `tools[3].parameters`, by
 * `paths`). A chat step with no names of its own leaves the Responses names.
 */
function composedNames(
  chatNames: CallerNaming | undefined,
  paths: CallerPaths,
  names: CallerNames,
): CallerNaming {
  if (chatNames === undefined) return names;
  return (field) => {
    const chat = callerName(chatNames, field);
    if (chat === undefined) return callerName(names, field);
    return callerName(names, chat) ?? paths.resolve(chat)?.path ?? chat;
  };
}

/** What both steps of a composed translation dropped, each name once. */
const bothDropped = (first: readonly string[], second: AdaptedCall): readonly string[] =>
  second.dropped?.length ? [...new Set([...first, ...second.dropped])] : first;

/**
 * What a Responses call sends once translated to chat (and on), and says in the caller's words:
 * what was dropped, an error's `param`, and what it set of its own (`reasoning.effort` written as
 * `reasoning_effort` or `output_config.effort`, which the caller never sends so; Messages'
 * `max_tokens` for a caller without `max_output_tokens`; `top_p` beside `temperature` where the
 * target's models may refuse the pair, not to a chat upstream, which takes it as the caller's API does).
 */
const sentViaChat = (
  translated: ChatFromResponses,
  chat: AdaptedCall,
  { provider }: Target,
  { names, hints }: ResponsesNames,
) => ({
  operation: chat.operation,
  body: chat.body,
  dropped: bothDropped(translated.dropped, chat),
  callerNames: composedNames(chat.callerNames, translated.paths, names),
  callerPaths: translated.paths,
  hints: translationHints(chat.body, translated.body, hints, chatTargetOf(provider)),
});

/**
 * The Responses API, served by translation to chat completions (and on, when needed). Two
 * translations compose: Responses → chat here, and chat → the provider's dialect; on the way
 * back the provider's stream is first made a chat stream, then a Responses stream.
 */
export function responsesViaChat(
  body: JsonObject,
  target: Target,
  model: string,
  context: ResponsesContext | undefined,
  policy: UnsupportedPolicy,
): AdaptedCall {
  if (!context) throw badRequest("responses need a response context");
  const translated = chatRequestOf(body, target, context, policy);
  const names = responsesNames(body);
  const chat = chatOf(translated, target, model, policy, context.previous.length > 0, names.names);
  const { tools, compact } = translated;
  // Whose thinking the answer's reasoning items carry, signed for it alone (thinking-blocks.ts).
  const thinkingBackTo = takesThinkingBack(target.provider) ? target.provider.name : undefined;
  return {
    ...sentViaChat(translated, chat, target, names),
    prompt: body,
    json(reply, sent) {
      // Read against the bound the attempt sent: a last call it cut, which vLLM says
      // `tool_calls`, leaves the response incomplete (cut-tool-call.ts).
      const answer = wholeCutTold(chat.json(reply), chatBound(target, sent));
      const response = chatResponseToResponse(answer, body, context.id, tools, thinkingBackTo);
      // A compaction (Codex's `compaction_trigger`): the summary as the one `compaction` item.
      const out = compact
        ? { ...response, output: [compactionItem(summaryOf(answer), context.id)] }
        : response;
      context.onResponse(out);
      return out;
    },
    stream(events, onUsage, maxBody = DEFAULT_MAX_UPSTREAM_BODY, sent) {
      // Every stream goes through the one translation loop (translate/stream/stream-translation.ts).
      // Nothing is filtered first: the chat request asks for usage itself (responses-request-to-
      // chat.ts), so `chat.keep` is never set here and the usage chunk is read by the writer.
      // The answer is gathered for the last events and the store: no more than a whole answer.
      const options = {
        request: body,
        id: context.id,
        onResponse: context.onResponse,
        onFailed: context.onFailed,
        tools,
        maxOutput: maxBody,
      };
      if (compact) {
        // Through chat chunks, whatever the upstream: the one writer that can hold back a summary.
        // Usage is counted where it is read first: by the upstream's own translation, if any.
        const asChat = chat.stream ? chat.stream(events, onUsage).events : events;
        return chatStreamToResponses(asChat, {
          ...options,
          compaction: true,
          ...(onUsage && !chat.stream ? { onUsage } : {}),
        });
      }
      if (target.provider.dialect === "anthropic") {
        // Anthropic events straight to Responses events: each event parsed once (no chat stream
        // encoded and re-read in between).
        const writer = new MessagesToResponsesWriter(model, { ...options, thinkingBackTo });
        return translateStream(events, readMessagesEvent, writer, onUsage);
      }
      return chatStreamToResponses(events, {
        ...options,
        bound: chatBound(target, sent),
        ...(onUsage ? { onUsage } : {}),
      });
    },
  };
}

/** The bound the chat request sent to a chat upstream set on its answer (cut-tool-call.ts). */
const chatBound = ({ provider }: Target, sent: JsonObject | undefined): number | undefined =>
  provider.dialect === "openai" ? sentBound(sent) : undefined;

/**
 * `POST /v1/responses/compact` where the upstream has no Responses API: the model is asked for
 * a summary turn over the conversation, and the summary comes back as the one `compaction`
 * item OpenAI's API would return (translate/responses/compaction.ts). Never streamed.
 */
export function compactViaChat(
  body: JsonObject,
  target: Target,
  model: string,
  context: ResponsesContext,
  policy: UnsupportedPolicy,
): AdaptedCall {
  const { stream: _stream, ...request } = body;
  // The same summary request as Codex's in-stream compaction: the input, then a trigger.
  const input = [
    ...inputItems(parseBody(responsesSchemas().request, request, "request", responsesParam).input),
    { type: "compaction_trigger" },
  ];
  const translated = chatRequestOf({ ...request, input }, target, context, policy);
  const names = responsesNames(body);
  const chat = chatOf(translated, target, model, policy, context.previous.length > 0, names.names);
  return {
    ...sentViaChat(translated, chat, target, names),
    prompt: body,
    json: (reply) => compactionResponse(chat.json(reply), context.id),
  };
}
