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
  toolName?: string;
  maxTokens?: number;
  chunks?: number;
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
  const inputTokens = countWords(stripMarkers(input.allText));
  if (input.toolName !== undefined) {
    const args = JSON.stringify(FAKE_TOOL_ARGUMENTS);
    const argPieces = input.chunks ? fit(splitEvery(args, 1), input.chunks) : splitEvery(args, 6);
    return {
      pieces: [],
      tool: { name: input.toolName, arguments: args, argPieces },
      inputTokens,
      outputTokens: argPieces.length,
      finish: "tool",
    };
  }
  const text = `echo: ${stripMarkers(input.lastUserText)}`.trimEnd();
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
