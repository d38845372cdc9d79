import { stripMarkers } from "./fake-behaviour.ts";

/** Fixed tool-call arguments, so tests can assert them after reassembly. */
export const FAKE_TOOL_ARGUMENTS = { city: "Paris", days: 3 } as const;

/** What to say, dialect-neutral: the wire modules dress it as OpenAI or Anthropic. */
export interface FakeScript {
  /** Content deltas; joined they are the reply text. Empty for a tool call. */
  pieces: string[];
  tool?: { name: string; arguments: string; argPieces: string[] };
  inputTokens: number;
  outputTokens: number;
  finish: "stop" | "length" | "tool";
}

/** The parts of a request that decide the reply. */
export interface ScriptInput {
  lastUserText: string;
  /** Every text in the prompt, for the input token count. */
  allText: string;
  /** The input token count to report instead (the `inputTokens` knob). */
  inputTokens?: number;
  toolName?: string;
  /** JSON arguments for the tool call (default FAKE_TOOL_ARGUMENTS). */
  toolArguments?: string;
  maxTokens?: number;
  chunks?: number;
  /** A JSON Schema the answer must follow (structured output): the echo is put in its strings. */
  jsonSchema?: unknown;
}

/** A value of `schema` whose strings are `text` (objects, arrays, numbers, booleans, enums). */
function exampleOf(schema: unknown, text: string): unknown {
  if (typeof schema !== "object" || schema === null) return text;
  const s = schema as {
    type?: unknown;
    properties?: Record<string, unknown>;
    items?: unknown;
    enum?: unknown[];
  };
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if (s.type === "object" || s.properties) {
    return Object.fromEntries(
      Object.entries(s.properties ?? {}).map(([key, value]) => [key, exampleOf(value, text)]),
    );
  }
  if (s.type === "array") return [exampleOf(s.items, text)];
  if (s.type === "number" || s.type === "integer") return 1;
  if (s.type === "boolean") return true;
  return text;
}

/** Regroups (or pads) words into exactly `n` pieces. */
function fit(words: string[], n: number): string[] {
  const padded = [...words];
  for (let i = 0; padded.length < n; i++) padded.push(` more${i + 1}`);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const from = Math.floor((i * padded.length) / n);
    const to = Math.floor(((i + 1) * padded.length) / n);
    out.push(padded.slice(from, to).join(""));
  }
  return out;
}

function splitEvery(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

export const countWords = (text: string) => Math.max(1, text.split(/\s+/).filter(Boolean).length);

/** The reply is `echo: <last user text>` one word per delta, or a call to the first tool. */
export function buildScript(input: ScriptInput): FakeScript {
  const inputTokens = input.inputTokens ?? countWords(stripMarkers(input.allText));
  if (input.toolName !== undefined) {
    const args = input.toolArguments ?? JSON.stringify(FAKE_TOOL_ARGUMENTS);
    const argPieces = input.chunks ? fit(splitEvery(args, 1), input.chunks) : splitEvery(args, 6);
    return {
      pieces: [],
      tool: { name: input.toolName, arguments: args, argPieces },
      inputTokens,
      outputTokens: argPieces.length,
      finish: "tool",
    };
  }
  const echo = `echo: ${stripMarkers(input.lastUserText)}`.trimEnd();
  const text = input.jsonSchema === undefined ? echo : JSON.stringify(exampleOf(input.jsonSchema, echo));
  const words = text.split(/(?=\s)/);
  let pieces = input.chunks ? fit(words, input.chunks) : words;
  let finish: FakeScript["finish"] = "stop";
  if (input.maxTokens !== undefined && pieces.length > input.maxTokens) {
    pieces = pieces.slice(0, input.maxTokens);
    finish = "length";
  }
  return { pieces, inputTokens, outputTokens: pieces.length, finish };
}

/** Text of a message `content`: a string, or the text parts of a block/part array. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part: unknown) =>
      typeof part === "object" && part !== null && "text" in part && typeof part.text === "string"
        ? part.text
        : "",
    )
    .filter(Boolean)
    .join(" ");
}

export const fakeId = (prefix: string) => `${prefix}${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Which tool the fake calls, if any: none when tools are off or the last turn is a tool's
 * result (a model that asked for a tool answers once it has the result, so agents' loops end);
 * else the one `behaviour.tool` names when declared, or the first.
 */
export function chooseTool(
  declared: readonly string[],
  toolsOff: boolean,
  afterToolResult: boolean,
  behaviour: { tool?: string | undefined; args64?: string | undefined },
  forced?: { name: string; schema: unknown; text: string },
): Pick<ScriptInput, "toolName" | "toolArguments"> {
  if (toolsOff || afterToolResult || declared.length === 0) return {};
  // A call the request forces (structured output through a tool) follows that tool's schema.
  if (forced && declared.includes(forced.name) && behaviour.tool === undefined) {
    const args = exampleOf(forced.schema, `echo: ${stripMarkers(forced.text)}`.trimEnd());
    return { toolName: forced.name, toolArguments: JSON.stringify(args) };
  }
  const named =
    behaviour.tool !== undefined && declared.includes(behaviour.tool) ? behaviour.tool : declared[0];
  if (named === undefined) return {};
  const args = behaviour.args64 ? Buffer.from(behaviour.args64, "base64").toString("utf8") : undefined;
  return { toolName: named, ...(args ? { toolArguments: args } : {}) };
}
