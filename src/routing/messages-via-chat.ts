import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { badRequest, GatewayError } from "../core/gateway-error.ts";
import { DEFAULT_MAX_UPSTREAM_BODY } from "../providers/http/read-bounded.ts";
import type { Provider } from "../providers/provider.ts";
import { chatResponseToMessages } from "../translate/anthropic-to-openai/chat-response-to-messages.ts";
import { chatStreamToMessages } from "../translate/anthropic-to-openai/chat-stream-to-messages.ts";
import { messagesRequestToChat } from "../translate/anthropic-to-openai/messages-request-to-chat.ts";
import { CallerPaths, MESSAGES_FIELDS } from "../translate/caller-paths.ts";
import { nameUncarried } from "../translate/chat-target.ts";
import type { ChatUpstreamNeeds } from "../translate/chat-upstream-needs.ts";
import { sentBound, wholeCutTold } from "../translate/cut-tool-call.ts";
import { Dropped, type UnsupportedPolicy } from "../translate/dropped.ts";
import { estimatedPromptTokens } from "../translate/prompt-estimate.ts";
import type { AdaptedCall } from "./adapt-dialect.ts";
import { type CallerNames, inCallerNames } from "./caller-param.ts";
import { chatUpstreamNeeds } from "./chat-upstream-needs.ts";
import { identity } from "./same-dialect-call.ts";
import { callerFieldHints, effortHint } from "./translation-hints.ts";

/**
 * A messages call to an OpenAI-dialect upstream. Where that upstream's own API is another step
 * on (Bedrock Converse, Gemini: `chatTarget`), what that step cannot carry is named too — as the
 * Anthropic caller knows it (`thinking`, not the chat request's `reasoning_effort`) — or refused
 * under `translation.unsupported: reject`, as for an OpenAI caller on the same route.
 */
export function messagesViaChat(
  body: JsonObject,
  provider: Provider,
  model: string,
  policy: UnsupportedPolicy,
  upstreamModel = model,
): AdaptedCall {
  const callerNames = messagesNames(body);
  const dropped = new Dropped(policy, callerNames);
  const callerPaths = new CallerPaths(MESSAGES_FIELDS);
  const chat = messagesRequestToChat(body, dropped, routeNeeds(provider, upstreamModel), callerPaths);
  // Anthropic refuses a call without a turn, in these words; a chat upstream would answer one (a
  // count of none, `countTokensViaChat`, is still answered, as the estimate is).
  if (Array.isArray(body.messages) && body.messages.length === 0)
    throw badRequest("messages: at least one message is required", "messages");
  const target = provider.chatTarget;
  if (target) {
    // What the route's model refuses the call for: the route's refusal, before the attempt opens.
    if (target.refuseUnsent) refuseUnsent(target.refuseUnsent, chat, upstreamModel, callerNames, callerPaths);
    // Said of the caller's blocks (`messages.0.content.1`), not the chat messages `system` shifted.
    nameUncarried(chat, target, dropped.through(callerPaths), upstreamModel);
  }
  return {
    operation: "chat",
    body: chat,
    dropped: dropped.list,
    callerNames,
    callerPaths,
    // `thinking` and `output_config.effort` written as `reasoning_effort`; `max_tokens`, lowered to
    // the most the route's model writes when it refuses more; `temperature`, which OpenAI's
    // reasoning models take only at its default; and what the route's API has models refuse of
    // the caller's own fields (a JSON format beside tools on Gemini 2.5), by the caller's names
    // (`output_config.format`) (translation-hints.ts).
    hints: {
      ...effortHint(chat, callerNames.reasoning_effort ?? "output_config.effort"),
      max_completion_tokens: "max_tokens",
      ...(chat.temperature != null ? { temperature: "temperature" } : {}),
      ...callerFieldHints(chat, provider.chatTarget, formatField(body)),
      // The thoughts asked for, which only `thinking` writes.
      ...(chat.include_reasoning === true ? THOUGHTS_HINT : {}),
    },
    prompt: body,
    // Read against the bound the attempt sent (a hint may have lowered it): a last call it cut,
    // which vLLM says `tool_calls`, is `max_tokens` (cut-tool-call.ts).
    json: (reply, sent) => chatResponseToMessages(wholeCutTold(reply, sentBound(sent)), model),
    stream: (events, onUsage, maxHeld = DEFAULT_MAX_UPSTREAM_BODY, sent) =>
      chatStreamToMessages(events, {
        requestedModel: model,
        bound: sentBound(sent),
        // The characters counted, no tokenizer: called once, when the stream starts.
        promptTokens: () => estimatedPromptTokens(body),
        // Its estimate in `message_delta` too, should the upstream report no usage.
        prompt: body,
        maxHeld,
        ...(onUsage ? { onUsage } : {}),
      }),
  };
}

/**
 * The route's refusal of the chat call (`ChatTarget.refuseUnsent`), said of the caller's own fields
 * and blocks (`messages.0.content.1`, not the chat message `system` shifted), as a refusal the
 * attempt met is (try-route.ts `attemptFailure`).
 */
function refuseUnsent(
  refuse: (chat: JsonObject, model: string) => void,
  chat: JsonObject,
  upstreamModel: string,
  names: CallerNames,
  paths: CallerPaths,
): void {
  try {
    refuse(chat, upstreamModel);
  } catch (error) {
    throw error instanceof GatewayError ? inCallerNames(error, names, paths) : error;
  }
}

/** What the route's upstream and model need of a messages call's translation to chat. */
function routeNeeds(provider: Provider, upstreamModel: string): ChatUpstreamNeeds {
  // Claude behind the chat step (Converse's) takes the caller's thinking as it is.
  const claudeThinking = provider.chatTarget?.takesThinking?.(upstreamModel) === true;
  const topK = provider.chatTarget?.takesTopK?.(upstreamModel) === true;
  // A budget in tokens is written only for a model that takes one (Gemini 2.5, not 3's levels).
  const thinkingBudget = provider.chatTarget?.takesThinkingBudget?.(upstreamModel) === true;
  return { ...chatUpstreamNeeds(provider), claudeThinking, topK, thinkingBudget };
}

const THOUGHTS_HINT: CallerNames = { include_reasoning: "thinking" };

/**
 * Chat fields a messages call sets under another name (messages-request-to-chat.ts), by the
 * Anthropic field they came from: what was dropped, and an upstream error's `param`, are named so.
 */
function messagesNames(body: JsonObject): CallerNames {
  return {
    reasoning_effort: effortField(body),
    max_completion_tokens: "max_tokens",
    user: "metadata.user_id",
    parallel_tool_calls: "tool_choice.disable_parallel_tool_use",
    "response_format.json_schema.strict": formatField(body),
  };
}

/**
 * What a messages call's `reasoning_effort` was written from: `output_config.effort` when it has
 * one (it wins over `thinking`'s budget, messages-request-to-chat.ts), else `thinking`.
 */
const effortField = (body: JsonObject): string =>
  body.thinking !== undefined && !(isJsonObject(body.output_config) && body.output_config.effort != null)
    ? "thinking"
    : "output_config.effort";

/** Where a messages call asked for its answer's schema: `output_config.format`, or the beta's `output_format`. */
const formatField = (body: JsonObject): string =>
  body.output_format != null && !(isJsonObject(body.output_config) && body.output_config.format != null)
    ? "output_format"
    : "output_config.format";

/**
 * A count_tokens call to a provider that counts with its vendor's counter: the messages, system
 * and tools translated to chat as a messages call's are on that route (its needs: a Gemini route's
 * files by URL, Converse Claude's `thinking` and signed past thinking), so the vendor counts what it
 * would be sent. What cannot be translated is left out of the count, whatever
 * `translation.unsupported` says: a count is never refused (the messages call itself would be,
 * under `reject`).
 */
export function countTokensViaChat(body: JsonObject, provider: Provider, upstreamModel: string): AdaptedCall {
  const dropped = new Dropped("drop");
  const callerPaths = new CallerPaths(MESSAGES_FIELDS);
  // A count_tokens request is a messages request without `max_tokens`: the translation reads one,
  // the count has no use for it.
  const { max_completion_tokens: _unused, ...chat } = messagesRequestToChat(
    { ...body, max_tokens: 1 },
    dropped,
    routeNeeds(provider, upstreamModel),
    callerPaths,
  );
  return { operation: "count_tokens", body: chat, dropped: dropped.list, callerPaths, ...identity };
}
