import type { JsonObject } from "../../core/dialect.ts";
import { badRequest } from "../../core/gateway-error.ts";
import { claudeEffort, claudeEffortNamed, effortNotTaken } from "../anthropic-effort.ts";
import { bedrockToolId } from "../anthropic-tool-id.ts";
import { asksThinking } from "../asks-thinking.ts";
import { formatInstruction, markedTexts, messageText } from "../chat-request-parts.ts";
import { CARRIED_BY_EVERY_TARGET, type ChatTarget } from "../chat-target.ts";
import { refuseForcedToolChoice } from "../forced-tool-refused.ts";
import { type OpenAIMessage, openAISchemas } from "../openai-schema.ts";
import { plainCallId } from "../openai-to-gemini/gemini-call-id.ts";
import { parseBody, parseToolArguments } from "../parse-body.ts";
import { refuseThinkingType } from "../thinking-type-refused.ts";
import { refuseUnreadLastTurn, type UnreadTurnWords } from "../unread-last-turn.ts";
import { cachePointsOf, withCachePoint } from "./converse-cache-point.ts";
import { CLAUDE } from "./converse-claude.ts";
import { DocumentNames, withTextBeside } from "./converse-document.ts";
import { claudeFields, inferenceConfig } from "./converse-settings.ts";
import { type ConverseTurn, converseSystem } from "./converse-system.ts";
import { claudeThinking, reasoningBlocks, thinkingClaude } from "./converse-thinking.ts";
import { offersTools, toolConfig } from "./converse-tool-config.ts";
import { ToolHistoryText } from "./converse-tool-history.ts";
import { refuseUrlParts } from "./converse-url-parts.ts";
import { userBlocks } from "./converse-user-blocks.ts";

/**
 * What Converse can take of a chat request. `response_format` is carried as a system instruction,
 * so its schema is shown, not enforced (`strict` is named); `tool_choice: "none"`, which Converse
 * has no choice for, is carried by offering no tools (the history's calls as text:
 * converse-tool-history.ts); a `temperature` over 1, Converse's most,
 * is clamped. The router names the rest. Claude 4.5
 * on Bedrock refuses `top_p` beside `temperature`, as on Anthropic's API.
 */
export const CONVERSE_TARGET: ChatTarget = {
  name: "Bedrock Converse",
  // `thinking`: Anthropic's, which a translation from Messages writes only for Claude (`takesThinking`);
  // a chat caller's goes to that Claude, and is named for any other model (chat-target.ts `nameUncarried`).
  // `top_k`: Claude's (`takesTopK`), in `additionalModelRequestFields`; named for any other model.
  // `reasoning_effort`: Claude's `output_config.effort` there, from Opus 4.5 (`effortNamed` names it
  // to any other model, where Anthropic's scale has no level for it, `none`, and where the model
  // takes it only lower).
  carries: [...CARRIED_BY_EVERY_TARGET, "thinking", "top_k", "reasoning_effort"],
  // InferenceConfiguration.temperature: 0 to 1, for every model (Bedrock refuses more).
  maxTemperature: 1,
  strictTools: false,
  strictFormat: false,
  cacheMarks: true,
  takesThinking: thinkingClaude,
  takesTopK: (model) => CLAUDE.test(model),
  // A model that is not a Claude takes no effort, whatever the word (`none` too): said so, not in
  // the words of Anthropic's scale, which it does not speak.
  effortNamed: (model, effort, thinking) =>
    effort == null
      ? undefined
      : CLAUDE.test(model)
        ? claudeEffortNamed(effort, claudeEffort(effort, model, thinking), model, thinking)
        : effortNotTaken(model),
  refusesTopPWithTemperature: true,
  // InferenceConfiguration.stopSequences: "Maximum number of 2500 items" (the API's bound; a
  // model may stop at fewer of them, never refuse them), each a NonEmptyString.
  maxStops: 2500,
  emptyStops: false,
  refuseUnsent,
};

/**
 * What Converse, or Claude there, refuses the call for, said before the attempt opens
 * (`refuseUnsent`), as toward Claude's Messages API: a part by URL, which Converse does not fetch
 * (converse-url-parts.ts: one pass over the messages); a thinking budget to Claude 4.7 and later,
 * thinking off to one that cannot turn it off, adaptive thinking to Claude 4.5 and earlier, which
 * take a budget alone (thinking-type-refused.ts), a forced tool call such a Claude refuses
 * (forced-tool-refused.ts).
 */
function refuseUnsent(chat: JsonObject, model: string): void {
  refuseUrlParts(chat);
  refuseThinkingType(chat.thinking, model);
  refuseForcedToolChoice(chat.tool_choice, model);
}

/**
 * OpenAI chat.completions request → AWS Bedrock Converse request (the path and model id go in
 * the URL, so `model` is not part of the body). Anthropic, Llama, Mistral, Nova and every other
 * Bedrock model take this one shape.
 *
 * Best effort where Converse has no equivalent: `response_format` becomes a system instruction;
 * `tool_choice: "none"` offers no tools; `n` must be 1. What it leaves out is named by the
 * router (CONVERSE_TARGET). Images and files must be `data:` URLs: Converse takes bytes, never a
 * URL; a file is a `document` (converse-document.ts). A part by URL, a thinking budget, thinking
 * off, adaptive thinking and a forced tool call to a Claude that refuses them were refused as the
 * call was adapted (`refuseUnsent`); a count's `thinking` goes as written
 * (count-tokens-to-converse.ts).
 */
export function chatRequestToConverse(body: JsonObject): JsonObject {
  const request = parseBody(openAISchemas().chatRequest, body, "request");
  if (request.n != null && request.n !== 1) throw badRequest("n: only n=1 is supported on this model", "n");
  const system: JsonObject[] = [];
  const turns: ConverseTurn[] = [];
  const push = (role: ConverseTurn["role"], blocks: JsonObject[]) => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    // Converse wants strictly alternating turns: consecutive same-role messages merge.
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  const documents = new DocumentNames();
  const points = cachePointsOf(request.model);
  /** A message's own `cache_control`, where the model takes cache points. */
  const marked = (written: OpenAIMessage) => (points.prompt ? written.cache_control : undefined);
  const thinking = claudeThinking(body, request.model);
  // The caller's past thinking, only to a request that thinks (Bedrock refuses it in one that does not).
  const sent = asksThinking(thinking) && Array.isArray(body.messages) ? body.messages : [];
  // No tools offered (none declared, or `tool_choice: "none"`): the history's calls and results go
  // as text, which Converse takes without a toolConfig; made on the first met (most calls have none).
  const toolsOffered = offersTools(request);
  let asText: ToolHistoryText | undefined;
  /** A user message left out as blank before any turn: the conversation may then open with the model's. */
  let blankOpening: number | undefined;
  for (const [i, message] of request.messages.entries()) {
    if (message.role === "system" || message.role === "developer")
      system.push(...textBlocks(message, points.prompt));
    else if (message.role === "tool") {
      if (!toolsOffered) asText ??= new ToolHistoryText();
      const result = asText
        ? asText.result(message.tool_call_id, messageText(message))
        : toolResult(message, i);
      push("user", withCachePoint([result], marked(message)));
    } else if (message.role === "assistant") {
      if (!toolsOffered && message.tool_calls?.length) asText ??= new ToolHistoryText();
      push(
        "assistant",
        withCachePoint(
          [...reasoningBlocks(sent[i]), ...assistantBlocks(message, points.prompt, asText)],
          marked(message),
        ),
      );
    } else {
      const blocks = userBlocks(message, i, documents, points.prompt);
      if (blocks.length === 0 && turns.length === 0) blankOpening ??= i;
      push("user", blocks);
    }
  }
  if (blankOpening !== undefined && turns[0]?.role !== "user") throw blankOpeningRefused(blankOpening);
  refuseUnreadLastTurn(request.messages, turns, BEDROCK_WORDS);
  const format = formatInstruction(request.response_format);
  if (format) system.push({ text: format });

  for (const turn of turns) if (turn.role === "user") turn.content = withTextBeside(turn.content);

  const systemBlocks = converseSystem(request.model, system, turns);
  const out: JsonObject = { messages: turns };
  if (systemBlocks) out.system = systemBlocks;
  const inference = inferenceConfig(request, CONVERSE_TARGET);
  if (Object.keys(inference).length > 0) out.inferenceConfig = inference;
  const tools = toolConfig(request, points.tools);
  if (tools) out.toolConfig = tools;
  const additional = claudeFields(thinking, request.model, body.top_k, body.reasoning_effort);
  if (additional) out.additionalModelRequestFields = additional;
  return out;
}

/**
 * A system or assistant message's text as blocks (`markedTexts`, shared with Anthropic's Messages),
 * each marked text's followed by a cache point when the model takes them. A blank text is left out:
 * Converse refuses the whole request for one text block that is empty or only whitespace ("The
 * text field in the ContentBlock object at messages.1.content.0 is blank"), in a message or in
 * `system`, yet such blocks are common: Claude writes "\n\n" before a tool call, a client sends an
 * empty text part beside an image. They say nothing; a message left with no block at all is left
 * out as an empty one is (its neighbours of one role merge). A tool result's text is kept as it
 * is: Converse takes it blank.
 */
function textBlocks(message: OpenAIMessage, caches: boolean): JsonObject[] {
  return markedTexts(message, caches).flatMap(({ text, mark }) => withCachePoint([{ text }], mark));
}

/**
 * An assistant message's text, then its calls, each marked call's `toolUse` followed by a cache
 * point; each call as text instead where the request declares no tools (`asText`).
 */
function assistantBlocks(
  message: OpenAIMessage,
  caches: boolean,
  asText: ToolHistoryText | undefined,
): JsonObject[] {
  const calls = (message.tool_calls ?? []).flatMap((call) => {
    const block = asText
      ? asText.call(call.id, call.function.name, call.function.arguments ?? "")
      : {
          toolUse: {
            toolUseId: bedrockToolId(plainCallId(call.id)),
            name: call.function.name,
            input: parseToolArguments(call.function.arguments),
          },
        };
    return withCachePoint([block], caches ? call.cache_control : undefined);
  });
  return [...textBlocks(message, caches), ...calls];
}

function toolResult(message: OpenAIMessage, i: number): JsonObject {
  if (!message.tool_call_id)
    throw badRequest(`messages.${i}.tool_call_id: required`, `messages.${i}.tool_call_id`);
  return {
    toolResult: {
      toolUseId: bedrockToolId(plainCallId(message.tool_call_id)),
      content: [{ text: messageText(message) }],
    },
  };
}

/**
 * A conversation whose first user message is blank, left out, and opens with the model's turn (or
 * with none): Converse refuses it as one that does not start with a user message, which would
 * hide the cause. The gateway's own 400 names the message; no text is made up in its place.
 */
const blankOpeningRefused = (i: number) =>
  badRequest(
    `messages.${i}: the first user message has no text but blank (empty or whitespace), which Bedrock refuses; left out, the conversation would start with the assistant's turn, which Bedrock refuses too: give it some text`,
    `messages.${i}`,
  );

/** A conversation left ending on the model's turn: Claude continues it as a prefill, others refuse it. */
const BEDROCK_WORDS: UnreadTurnWords = {
  model: "Bedrock",
  endingOnModel: "which Bedrock continues as a prefill or refuses",
};
