import { z } from "zod";
import { anthropicRefusal } from "./anthropic-request-checks.ts";
import { unsupportedSchema } from "./anthropic-schema-subset.ts";
import { thinkingRefusal } from "./anthropic-thinking.ts";
import { ANTHROPIC_API_MODEL, fakeReasoning, missingThinking, THINKING_MODEL } from "./deepseek-thinking.ts";
import type { Prepared } from "./fake-call.ts";
import { paramOf, sseFrame } from "./fake-call.ts";
import { buildScript, chooseTool, contentText, type FakeScript, fakeId } from "./fake-script.ts";

const baseSchema = z.looseObject({
  model: z.string().min(1),
  // `system` turns inside messages: newer models take them (Claude Code sends them).
  messages: z
    .array(z.looseObject({ role: z.enum(["user", "assistant", "system"]), content: z.unknown() }))
    .min(1),
  system: z.unknown().optional(),
  tools: z
    .array(
      z.looseObject({
        name: z.string(),
        input_schema: z.unknown().optional(),
        strict: z.unknown().optional(),
      }),
    )
    .optional(),
  tool_choice: z.looseObject({ type: z.string(), name: z.string().optional() }).optional(),
  output_config: z
    .looseObject({
      format: z.looseObject({ type: z.string(), schema: z.unknown() }).nullish(),
      effort: z.string().nullish(),
    })
    .nullish(),
});
const messagesSchema = baseSchema.extend({
  max_tokens: z.number().int().min(1),
  stream: z.boolean().optional(),
});

type MessagesRequest = z.infer<typeof messagesSchema>;

const STOP = { stop: "end_turn", length: "max_tokens", tool: "tool_use" } as const;

const promptText = (req: z.infer<typeof baseSchema>) =>
  [contentText(req.system), ...req.messages.map((m) => contentText(m.content))].join(" ");

/**
 * The tool the request forces, with its schema: the one `tool_choice` names, or the only tool
 * declared under `tool_choice: {type: "any"}` (a model must call a tool, and there is one to call).
 */
function forcedTool(req: MessagesRequest, text: string) {
  const choice = req.tool_choice;
  const only = req.tools?.length === 1 ? req.tools[0]?.name : undefined;
  const name = choice?.type === "tool" ? choice.name : choice?.type === "any" ? only : undefined;
  if (name === undefined) return undefined;
  return { name, schema: req.tools?.find((tool) => tool.name === name)?.input_schema, text };
}

function refusal(error: z.ZodError): Prepared {
  const issue = error.issues[0];
  return { status: 400, message: `${paramOf(issue?.path ?? [])}: ${issue?.message ?? "invalid"}` };
}

function usage(script: FakeScript, outputTokens: number) {
  return {
    input_tokens: script.inputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: outputTokens,
    service_tier: "standard",
  };
}

/**
 * What DeepSeek's thinking model (by its name) thinks before it answers on its `/anthropic`, in
 * thinking mode (its default): the reasoning its chat API gives (openai-chat.ts), as a thinking
 * block DeepSeek signs with the message's id. Undefined for any other model.
 */
function thinkingOf(req: MessagesRequest): string | undefined {
  const off = (req.thinking as { type?: unknown } | undefined)?.type === "disabled";
  return THINKING_MODEL.test(req.model) && !off ? fakeReasoning(req.messages) : undefined;
}

function message(req: MessagesRequest, script: FakeScript, id: string, toolId: string, done: boolean) {
  const thinking = thinkingOf(req);
  const thought = thinking === undefined ? [] : [{ type: "thinking", thinking, signature: id }];
  const content = script.tool
    ? [
        ...thought,
        { type: "tool_use", id: toolId, name: script.tool.name, input: JSON.parse(script.tool.arguments) },
      ]
    : [...thought, { type: "text", text: script.pieces.join("") }];
  return {
    id,
    type: "message",
    role: "assistant",
    model: req.model,
    content: done ? content : [],
    stop_reason: done ? STOP[script.finish] : null,
    stop_sequence: null,
    usage: usage(script, done ? script.outputTokens : 1),
  };
}

/** The exact event sequence of the Messages streaming API. */
function events(req: MessagesRequest, script: FakeScript, id: string, toolId: string): string[] {
  const ev = (type: string, data: object) => sseFrame({ type, ...data }, type);
  const block = script.tool
    ? { type: "tool_use", id: toolId, name: script.tool.name, input: {} }
    : { type: "text", text: "" };
  const deltas = script.tool
    ? ["", ...script.tool.argPieces].map((partial_json) => ({ type: "input_json_delta", partial_json }))
    : script.pieces.map((text) => ({ type: "text_delta", text }));
  const { service_tier: _, ...deltaUsage } = usage(script, script.outputTokens);
  const thinking = thinkingOf(req);
  // The thinking block first, when the model thinks: its text, then its signature.
  const thought =
    thinking === undefined
      ? []
      : [
          ev("content_block_start", {
            index: 0,
            content_block: { type: "thinking", thinking: "", signature: "" },
          }),
          ...thinking
            .split(/(?=\s)/)
            .map((piece) =>
              ev("content_block_delta", { index: 0, delta: { type: "thinking_delta", thinking: piece } }),
            ),
          ev("content_block_delta", { index: 0, delta: { type: "signature_delta", signature: id } }),
          ev("content_block_stop", { index: 0 }),
        ];
  const index = thought.length === 0 ? 0 : 1;
  return [
    ev("message_start", { message: message(req, script, id, toolId, false) }),
    ...thought,
    ev("content_block_start", { index, content_block: block }),
    ev("ping", {}),
    ...deltas.map((delta) => ev("content_block_delta", { index, delta })),
    ev("content_block_stop", { index }),
    ev("message_delta", {
      delta: { stop_reason: STOP[script.finish], stop_sequence: null },
      usage: deltaUsage,
    }),
    ev("message_stop", {}),
  ];
}

/** The text of the tool results a user turn carries, or undefined when it carries none. */
function toolResults(content: unknown): string | undefined {
  if (!Array.isArray(content)) return undefined;
  const results = content.filter(
    (block): block is { type: string; content?: unknown } =>
      typeof block === "object" && block !== null && "type" in block && block.type === "tool_result",
  );
  if (results.length === 0) return undefined;
  return results.map((block) => contentText(block.content)).join(" ");
}

/** `POST /v1/messages` */
export function prepareMessages(body: unknown): Prepared {
  const parsed = messagesSchema.safeParse(body);
  if (!parsed.success) return refusal(parsed.error);
  const req = parsed.data;
  // Claude's checks of the thinking handed back, or, for a DeepSeek model, DeepSeek's.
  const unsigned = ANTHROPIC_API_MODEL.test(req.model)
    ? missingThinking(req.messages, req.thinking)
    : thinkingRefusal(req.messages, req.thinking);
  if (unsigned) return unsigned;
  const schema = unsupportedSchema(req) ?? anthropicRefusal(req);
  if (schema) return schema;
  const last = req.messages.findLast((m) => m.role === "user");
  const results = toolResults(last?.content);
  const declared = (req.tools ?? []).map((tool) => tool.name);
  return {
    markerText: promptText(req),
    stream: req.stream === true,
    effort: req.output_config?.effort != null,
    render: (behaviour) => {
      const script = buildScript({
        lastUserText: results ?? contentText(last?.content),
        allText: promptText(req),
        maxTokens: req.max_tokens,
        ...chooseTool(
          declared,
          req.tool_choice?.type === "none",
          results !== undefined,
          behaviour,
          forcedTool(req, contentText(last?.content)),
        ),
        ...(req.output_config?.format?.type === "json_schema"
          ? { jsonSchema: req.output_config.format.schema }
          : {}),
        ...(behaviour.chunks !== undefined ? { chunks: behaviour.chunks } : {}),
        ...(behaviour.inputTokens !== undefined ? { inputTokens: behaviour.inputTokens } : {}),
      });
      const id = fakeId("msg_");
      const toolId = fakeId("toolu_");
      return req.stream === true && !behaviour.ignoreStream
        ? { frames: events(req, script, id, toolId) }
        : { json: message(req, script, id, toolId, true) };
    },
  };
}

/** `POST /v1/messages/count_tokens` */
export function prepareCountTokens(body: unknown): Prepared {
  const parsed = baseSchema.safeParse(body);
  if (!parsed.success) return refusal(parsed.error);
  const text = promptText(parsed.data);
  return {
    markerText: text,
    stream: false,
    render: () => ({ json: { input_tokens: buildScript({ lastUserText: "", allText: text }).inputTokens } }),
  };
}
