import type { Behaviour } from "./fake-behaviour.ts";

/** A validated request, ready to be answered. */
export interface FakeCall {
  /** Text that may carry `[[fake:...]]` markers (the prompt). */
  markerText: string;
  stream: boolean;
  /** The request sets an effort level (`noEffort` refuses it). */
  effort?: boolean;
  /** The whole answer: a JSON body, or SSE frames sent one body chunk each. */
  render(behaviour: Behaviour): { json: unknown } | { frames: string[] };
}

/** A request the real API would refuse (bad JSON, missing field, unknown model). */
export interface FakeRefusal {
  status: number;
  message: string;
  param?: string;
  /** OpenAI's `error.code`, where the real API sends one for this refusal. */
  code?: string;
}

export type Prepared = FakeCall | FakeRefusal;

export const isRefusal = (p: Prepared): p is FakeRefusal => "status" in p;

/** One dialect's error shapes, for refusals, knob-made statuses and in-stream errors. */
export interface ErrorDialect {
  body(status: number, message: string, param?: string, code?: string): unknown;
  /** The frame a 200 stream carries when the upstream fails midway. */
  streamFrame(message: string): string;
  /** Response headers naming the request, the way the real API names them. */
  requestIdHeader: string;
}

/** `data: <json>\n\n`, optionally with an `event:` line. */
export function sseFrame(data: unknown, event?: string): string {
  const head = event === undefined ? "" : `event: ${event}\n`;
  return `${head}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
}

/** Turns a zod issue path into OpenAI's `param` spelling: `messages[0].content`. */
export function paramOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    "",
  );
}
