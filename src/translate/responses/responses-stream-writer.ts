import type { JsonObject } from "../../core/dialect.ts";
import type { SseEvent } from "../../core/sse.ts";
import type { OpenAIChunk, OpenAIUsage } from "../openai-schema.ts";
import {
  functionCallItem,
  functionCallItemId,
  messageItem,
  messageItemId,
  outputTextPart,
  responseEnvelope,
  responseStatus,
  responsesUsage,
} from "./response-envelope.ts";

type ToolDelta = NonNullable<
  NonNullable<NonNullable<OpenAIChunk["choices"]>[number]["delta"]>["tool_calls"]
>[number];

/** One output item being streamed. */
interface OpenItem {
  kind: "message" | "function_call";
  outputIndex: number;
  itemId: string;
  text: string;
  callId: string;
  name: string;
  closed: boolean;
}

/**
 * The state of one translated Responses stream: the output items so far, which chat tool-call
 * index feeds which item, and the running sequence number every event carries.
 */
export class ResponsesStreamWriter {
  started = false;
  finishReasonSeen = false;
  private sequence = 0;
  private readonly items: OpenItem[] = [];
  private current: OpenItem | undefined;
  private readonly tools = new Map<
    number,
    { item?: OpenItem; id?: string; name?: string; pending: string }
  >();
  private finishReason: string | null | undefined;
  private usage: OpenAIUsage | undefined;
  private readonly createdAt: number;

  constructor(
    private readonly id: string,
    private readonly request: JsonObject,
    createdAt?: number,
  ) {
    this.createdAt = createdAt ?? Math.floor(Date.now() / 1000);
  }

  *chunk(chunk: OpenAIChunk): Generator<SseEvent> {
    if (!this.started) yield* this.start();
    if (chunk.usage) this.usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      if ((choice.index ?? 0) !== 0) continue;
      if (choice.delta?.content) yield* this.text(choice.delta.content);
      for (const call of choice.delta?.tool_calls ?? []) yield* this.tool(call);
      if (choice.finish_reason) {
        this.finishReasonSeen = true;
        this.finishReason = choice.finish_reason;
      }
    }
  }

  finish(): { events: SseEvent[]; response: JsonObject } {
    const events = [...this.close()];
    const state = responseStatus(this.finishReason);
    const response = this.envelope(state.status, responsesUsage(this.usage), state.incompleteReason);
    const type = state.status === "completed" ? "response.completed" : "response.incomplete";
    events.push(this.event(type, { response }));
    return { events, response };
  }

  error(code: string, message: string): SseEvent {
    return this.event("error", { code, message, param: null });
  }

  private *start(): Generator<SseEvent> {
    this.started = true;
    const response = this.envelope("in_progress", null);
    yield this.event("response.created", { response });
    yield this.event("response.in_progress", { response });
  }

  private *text(delta: string): Generator<SseEvent> {
    if (this.current?.kind !== "message") {
      yield* this.close();
      const item = this.open("message", messageItemId(this.id), "", "");
      yield this.event("response.output_item.added", {
        output_index: item.outputIndex,
        item: messageItem(item.itemId, "", "in_progress"),
      });
      yield this.event("response.content_part.added", { ...this.at(item), part: outputTextPart("") });
    }
    const item = this.current as OpenItem;
    item.text += delta;
    yield this.event("response.output_text.delta", { ...this.at(item), delta, logprobs: [] });
  }

  private *tool(call: ToolDelta): Generator<SseEvent> {
    let state = this.tools.get(call.index);
    if (!state) {
      state = { pending: "" };
      this.tools.set(call.index, state);
    }
    state.id ??= call.id ?? undefined;
    state.name ??= call.function?.name ?? undefined;
    const args = call.function?.arguments ?? "";
    if (state.item) {
      state.item.text += args;
      if (args)
        yield this.event("response.function_call_arguments.delta", { ...this.ref(state.item), delta: args });
      return;
    }
    state.pending += args;
    if (!state.name) return; // some servers send the name after the first fragments
    yield* this.close();
    const n = this.items.filter((i) => i.kind === "function_call").length;
    const callId = state.id ?? `call_${crypto.randomUUID().replaceAll("-", "")}`;
    const item = this.open("function_call", functionCallItemId(this.id, n), callId, state.name);
    state.item = item;
    yield this.event("response.output_item.added", {
      output_index: item.outputIndex,
      item: this.itemBody(item),
    });
    if (state.pending) yield* this.tool({ index: call.index, function: { arguments: state.pending } });
    state.pending = "";
  }

  private open(kind: OpenItem["kind"], itemId: string, callId: string, name: string): OpenItem {
    const item = { kind, outputIndex: this.items.length, itemId, text: "", callId, name, closed: false };
    this.items.push(item);
    this.current = item;
    return item;
  }

  private *close(): Generator<SseEvent> {
    const item = this.current;
    if (!item) return;
    this.current = undefined;
    item.closed = true;
    if (item.kind === "message") {
      yield this.event("response.output_text.done", { ...this.at(item), text: item.text, logprobs: [] });
      yield this.event("response.content_part.done", { ...this.at(item), part: outputTextPart(item.text) });
    } else {
      yield this.event("response.function_call_arguments.done", {
        ...this.ref(item),
        name: item.name,
        arguments: item.text,
      });
    }
    yield this.event("response.output_item.done", {
      output_index: item.outputIndex,
      item: this.itemBody(item),
    });
  }

  private itemBody(item: OpenItem): JsonObject {
    const status = item.closed ? "completed" : "in_progress";
    if (item.kind === "message") return messageItem(item.itemId, item.text, status);
    return functionCallItem(
      item.itemId,
      { callId: item.callId, name: item.name, arguments: item.text },
      status,
    );
  }

  private envelope(
    status: "in_progress" | "completed" | "incomplete",
    usage: JsonObject | null,
    reason?: string,
  ) {
    const output = this.items.map((item) => this.itemBody(item));
    return responseEnvelope({
      id: this.id,
      createdAt: this.createdAt,
      request: this.request,
      status,
      output,
      usage,
      ...(reason ? { incompleteReason: reason } : {}),
    });
  }

  private ref(item: OpenItem) {
    return { item_id: item.itemId, output_index: item.outputIndex };
  }

  private at(item: OpenItem) {
    return { ...this.ref(item), content_index: 0 };
  }

  private event(type: string, fields: JsonObject): SseEvent {
    const data = { type, sequence_number: this.sequence++, ...fields };
    return { event: type, data: JSON.stringify(data) };
  }
}
