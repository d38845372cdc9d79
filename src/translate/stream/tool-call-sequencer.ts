import type { OpenAIChunk } from "../openai-schema.ts";
import { JsonEnd } from "./json-end.ts";

/** One chat chunk's fragment of one tool call. */
export type ToolCallDelta = NonNullable<
  NonNullable<NonNullable<OpenAIChunk["choices"]>[number]["delta"]>["tool_calls"]
>[number];

/** What a block-structured writer does next: open a call's block (closing the open one), or add to it. */
export type ToolCallStep =
  | { type: "start"; index: number; id: string | undefined; name: string; arguments: string }
  | { type: "arguments"; index: number; fragment: string };

interface Call {
  index: number;
  id: string | undefined;
  name: string | undefined;
  /** Fragments that arrived while another call's block was open, or before the name. */
  held: string;
  state: "waiting" | "open" | "closed";
  end: JsonEnd;
}

/**
 * Orders chat tool-call deltas for a stream of blocks (Anthropic's content blocks, Responses'
 * output items), where one block is open at a time and all its deltas come before its end.
 *
 * Chat servers may interleave parallel calls (index 0, 1, 0, 1, …), and a block once closed
 * cannot take more: a client finalises the call there (the AI SDK parses its arguments at
 * `content_block_stop`). So the first named call streams, and a later call's fragments are held
 * until the open call's arguments are a whole JSON value (nothing more can belong to it) or the
 * stream ends; then the held call starts with all it has and streams on. Calls that take turns,
 * as most servers send them, stream without delay.
 */
export class ToolCallSequencer {
  private readonly calls = new Map<number, Call>();
  private open: Call | undefined;
  /** The call the last delta wrote to. */
  private last: Call | undefined;

  /** Whether any tool call was seen (its stop reason is `tool_use`). */
  get seen(): boolean {
    return this.calls.size > 0;
  }

  push(delta: ToolCallDelta): ToolCallStep[] {
    const call = this.callOf(delta);
    this.last = call;
    call.id ??= delta.id ?? undefined;
    call.name ??= delta.function?.name ?? undefined;
    const fragment = delta.function?.arguments ?? "";
    call.end.feed(fragment);
    const steps: ToolCallStep[] = [];
    if (call === this.open) {
      if (fragment) steps.push({ type: "arguments", index: call.index, fragment });
    } else {
      // A closed call takes no more: only its arguments ending (or text in between) closes one.
      call.held += fragment;
    }
    this.advance(steps, false);
    return steps;
  }

  /** The writer closed the open call's block for text or reasoning. */
  interrupt(): void {
    if (this.open) this.open.state = "closed";
    this.open = undefined;
  }

  /** The stream's end: each call still held starts, whole, in the order calls first arrived. */
  finish(): ToolCallStep[] {
    const steps: ToolCallStep[] = [];
    this.advance(steps, true);
    return steps;
  }

  /** Starts held calls while the open one is done (or `force`, at the end: every one). */
  private advance(steps: ToolCallStep[], force: boolean): void {
    while (!this.open || force || this.open.end.complete) {
      const next = [...this.calls.values()].find((call) => call.state === "waiting" && call.name);
      if (!next?.name) return;
      if (this.open) this.open.state = "closed";
      this.open = next;
      next.state = "open";
      steps.push({ type: "start", index: next.index, id: next.id, name: next.name, arguments: next.held });
      next.held = "";
    }
  }

  /**
   * The call a delta writes to, by its index; a server that numbers no calls (Gemini's
   * OpenAI-compatible API sends each whole, without `index`) gets them numbered in arrival
   * order: a delta with an id (or the first) starts the next call, one without continues the last.
   */
  private callOf(delta: ToolCallDelta): Call {
    if (typeof delta.index === "number") return this.call(delta.index);
    if (this.last !== undefined && !delta.id) return this.last;
    let index = this.calls.size;
    while (this.calls.has(index)) index++;
    return this.call(index);
  }

  private call(index: number): Call {
    let call = this.calls.get(index);
    if (!call) {
      call = { index, id: undefined, name: undefined, held: "", state: "waiting", end: new JsonEnd() };
      this.calls.set(index, call);
    }
    return call;
  }
}
