import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { saysError } from "../../core/says-error.ts";
import type { AnswerFold } from "./answer-fold.ts";
import { objectsOf, textOf } from "./loose-json.ts";

interface ToolCallSoFar {
  id?: string;
  type?: string;
  name: string;
  arguments: string;
}

interface ChoiceSoFar {
  role?: string;
  text: string;
  reasoning: string;
  refusal: string;
  finishReason: unknown;
  readonly tools: Map<number, ToolCallSoFar>;
}

/** Fields of the first chunk that carries them, as the whole answer has them once. */
const HEAD = ["id", "created", "model", "system_fingerprint", "service_tier"] as const;

/**
 * `chat.completion.chunk`s folded into a `chat.completion` (or, for `completions`, `text_completion`
 * chunks into one): every choice by its index, its deltas joined, its tool calls by theirs.
 */
export class ChatAnswerFold implements AnswerFold {
  private readonly head: JsonObject = {};
  private readonly choices = new Map<number, ChoiceSoFar>();
  private usage: unknown;

  constructor(private readonly completions: boolean) {}

  take(chunk: unknown): void {
    // An in-band error ends the answer where it stands: its choices keep no finish reason.
    if (!isJsonObject(chunk) || saysError(chunk)) return;
    for (const field of HEAD)
      if (this.head[field] === undefined && chunk[field] !== undefined) this.head[field] = chunk[field];
    if (isJsonObject(chunk.usage)) this.usage = chunk.usage;
    for (const choice of objectsOf(chunk.choices)) this.choice(choice);
  }

  whole(): JsonObject | undefined {
    if (this.choices.size === 0 && this.head.id === undefined) return undefined;
    const choices = [...this.choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, choice]) => ({
        index,
        ...(this.completions ? { text: choice.text } : { message: messageOf(choice) }),
        finish_reason: choice.finishReason ?? null,
      }));
    return {
      object: this.completions ? "text_completion" : "chat.completion",
      ...this.head,
      choices,
      ...(this.usage === undefined ? {} : { usage: this.usage }),
    };
  }

  private choice(choice: JsonObject): void {
    const index = typeof choice.index === "number" ? choice.index : 0;
    let soFar = this.choices.get(index);
    if (!soFar) {
      soFar = { text: "", reasoning: "", refusal: "", finishReason: undefined, tools: new Map() };
      this.choices.set(index, soFar);
    }
    if (choice.finish_reason != null) soFar.finishReason = choice.finish_reason;
    if (this.completions) {
      soFar.text += textOf(choice.text);
      return;
    }
    const delta = choice.delta;
    if (!isJsonObject(delta)) return;
    if (typeof delta.role === "string") soFar.role = delta.role;
    soFar.text += textOf(delta.content);
    // DeepSeek and vLLM say `reasoning_content`, OpenRouter and Ollama `reasoning`.
    soFar.reasoning += textOf(delta.reasoning_content) + textOf(delta.reasoning);
    soFar.refusal += textOf(delta.refusal);
    for (const call of objectsOf(delta.tool_calls)) {
      const at = typeof call.index === "number" ? call.index : soFar.tools.size;
      const tool = soFar.tools.get(at) ?? { name: "", arguments: "" };
      soFar.tools.set(at, tool);
      if (typeof call.id === "string") tool.id = call.id;
      if (typeof call.type === "string") tool.type = call.type;
      const fn = isJsonObject(call.function) ? call.function : {};
      tool.name += textOf(fn.name);
      tool.arguments += textOf(fn.arguments);
    }
  }
}

function messageOf(choice: ChoiceSoFar): JsonObject {
  const tools = [...choice.tools.entries()].sort(([a], [b]) => a - b);
  return {
    role: choice.role ?? "assistant",
    content: choice.text === "" && tools.length > 0 ? null : choice.text,
    ...(choice.reasoning === "" ? {} : { reasoning_content: choice.reasoning }),
    ...(choice.refusal === "" ? {} : { refusal: choice.refusal }),
    ...(tools.length === 0
      ? {}
      : {
          tool_calls: tools.map(([, tool]) => ({
            ...(tool.id === undefined ? {} : { id: tool.id }),
            type: tool.type ?? "function",
            function: { name: tool.name, arguments: tool.arguments },
          })),
        }),
  };
}
