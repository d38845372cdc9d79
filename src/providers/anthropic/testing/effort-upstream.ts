import { afterAll, beforeAll } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import OpenAI from "openai";
import { type Gateway, parseConfig } from "../../../index.ts";
import { recordingGateway } from "../../../testing/recording-gateway.ts";
import { jsonFixture } from "../../../translate/fixtures/load-fixture.ts";

/**
 * Test support: an upstream on loopback that judges a request's effort level per model in
 * Anthropic's words, a gateway routing each of `LEVELS`' models to it, and the official OpenAI SDK
 * calling that gateway (chat-effort-levels.test.ts, chat-effort-thinking-caps.test.ts).
 */

/** The levels each model takes (Anthropic's effort page); "their-claude", a name no rule places. */
export const LEVELS: Readonly<Record<string, readonly string[]>> = {
  "claude-opus-4-5-20251101": ["low", "medium", "high"],
  "claude-opus-4-6": ["low", "medium", "high", "max"],
  "claude-sonnet-4-6": ["low", "medium", "high", "max"],
  "claude-opus-4-7": ["low", "medium", "high", "xhigh", "max"],
  "claude-opus-4-8": ["low", "medium", "high", "xhigh", "max"],
  "claude-opus-5": ["low", "medium", "high", "xhigh", "max"],
  "claude-haiku-5-5": ["low", "medium", "high", "xhigh", "max"],
  "claude-sonnet-5-5": ["low", "medium", "high", "xhigh", "max"],
  "claude-opus-5-5": ["low", "medium", "high", "xhigh", "max"],
  "claude-sonnet-5": ["low", "medium", "high", "xhigh", "max"],
  // Claudes no page names yet, after Opus 5: the caps by the version stand for them.
  "claude-opus-6": ["low", "medium", "high", "xhigh", "max"],
  "claude-sonnet-6-1": ["low", "medium", "high", "xhigh", "max"],
  "claude-fable-5-1": ["low", "medium", "high", "xhigh", "max"],
  "their-claude": ["low", "medium", "high", "max"],
  // Before Opus 4.5: no effort at all.
  "claude-sonnet-4-5": [],
  "claude-haiku-4-5": [],
  "claude-opus-4-1": [],
};
/**
 * Models that refuse xhigh and max with thinking disabled: Opus 5 (its migration guide's breaking
 * change), Haiku 5.5 (Anthropic's "Prompting Claude Haiku 5.5": thinking disabled "only at low,
 * medium and high"), and the Claudes after them: Anthropic's "Troubleshooting thinking" table says
 * the cap "applies to Claude Opus 5 and later models". Not Sonnet 5, which came before Opus 5: the
 * table has it reject `"enabled"` alone.
 */
const CAPPED_WITHOUT_THINKING = new Set([
  "claude-opus-5",
  "claude-haiku-5-5",
  "claude-opus-6",
  "claude-sonnet-6-1",
]);
/**
 * Sonnet 5.5, whose lowest thinking is `between_tools` (it refuses `disabled`): "between_tools is
 * available at low, medium, and high effort. At xhigh or max effort, a request with between_tools
 * returns a 400 error" (Anthropic's "What's new in Claude Sonnet 5.5", Turn off up-front thinking).
 * The page gives no wording for that 400: this one stands in for it, and matches no pattern the
 * gateway mends by, so a level sent as asked is the caller's 400.
 */
const CAPPED_BETWEEN_TOOLS = new Set(["claude-sonnet-5-5"]);
/**
 * The Claudes that answer `thinking: {type: "disabled"}` with a 400, by the upstream's own rule, not
 * the gateway's list (claude-thinking-refusals.ts), so that a model the list leaves out is caught: Sonnet
 * 5.5, which takes adaptive or between_tools ("What's new in Claude Sonnet 5.5"); Opus 5.5 and Fable
 * 5.1, which think adaptively always ("What's new in Claude Opus 5.5"), as Mythos 5.1 does (Fable
 * 5.1's baseline); Fable 5 and Mythos 5 (the Fable 5 migration guide).
 */
const REFUSES_THINKING_OFF = /^claude-(sonnet-5-5|opus-5-5|fable-5(-1)?|mythos-5(-1)?)$/;
/**
 * Anthropic's 400 to `thinking: {type: "disabled"}` from those, in the words of "What's new in
 * Claude Opus 5.5" (Thinking can't be disabled; its error messages).
 */
const THINKING_OFF_REFUSED =
  '"thinking.type.disabled" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.';
/**
 * Opus 4.8, which no doc caps, refusing xhigh and max with thinking left out in Opus 5's words, as
 * users report it (anthropics/claude-code#76689, #79798).
 */
const REFUSES_WITHOUT_THINKING = new Set(["claude-opus-4-8"]);

export interface Sent {
  readonly model: string;
  readonly output_config?: { readonly effort?: string };
  readonly thinking?: { readonly type?: string };
  readonly stream?: boolean;
}

/** Anthropic's stream of the same answer, as recorded. */
const STREAM = readFileSync(
  join(import.meta.dir, "../../../translate/fixtures/anthropic/message-text.sse.txt"),
);

/** Anthropic's refusal of a level: an invalid_request_error, 400. */
const refused = (message: string) =>
  Response.json(
    { type: "error", error: { type: "invalid_request_error", message } },
    { status: 400, headers: { "request-id": "req_011refused" } },
  );

/** What Anthropic answers a request's effort level, by its model; else the message. */
function judged(body: Sent): Response {
  const effort = body.output_config?.effort;
  if (body.thinking?.type === "disabled" && REFUSES_THINKING_OFF.test(body.model))
    return refused(THINKING_OFF_REFUSED);
  const levels = LEVELS[body.model] ?? [];
  if (effort !== undefined && levels.length === 0)
    return refused("This model does not support the effort parameter.");
  if (effort !== undefined && !levels.includes(effort))
    return refused(
      `This model does not support effort level '${effort}'. Supported levels: ${[...levels].sort().join(", ")}.`,
    );
  const thinkingOff =
    (CAPPED_WITHOUT_THINKING.has(body.model) && body.thinking?.type === "disabled") ||
    (REFUSES_WITHOUT_THINKING.has(body.model) && body.thinking === undefined);
  if (thinkingOff && (effort === "xhigh" || effort === "max"))
    return refused(
      `output_config.effort '${effort}' is not supported when thinking is disabled on this model. Use effort 'high' or below, or enable thinking.`,
    );
  if (
    CAPPED_BETWEEN_TOOLS.has(body.model) &&
    body.thinking?.type === "between_tools" &&
    (effort === "xhigh" || effort === "max")
  )
    return refused(`thinking.type 'between_tools' cannot be used with effort '${effort}'.`);
  if (body.stream) return new Response(STREAM, { headers: { "content-type": "text/event-stream" } });
  return Response.json({ ...jsonFixture("anthropic/message-text.json"), model: body.model });
}

/** A gateway and its caller. */
export interface Called {
  readonly gateway: Gateway;
  readonly openai: OpenAI;
}

/**
 * The upstream, and a gateway on it under translation.unsupported: drop, started in `beforeAll`
 * and stopped in `afterAll`; what the upstream was sent, kept in order. Read it from the tests.
 */
export function effortUpstream() {
  const sent: Sent[] = [];
  let upstream: ReturnType<typeof Bun.serve> | undefined;
  let dropping: Called | undefined;

  /** A gateway routing each of `LEVELS`' models to the upstream, under `unsupported`, and its caller. */
  async function gatewayOnUpstream(unsupported: "drop" | "reject"): Promise<Called> {
    if (upstream === undefined) throw new Error("the effort upstream is read before beforeAll started it");
    const { gateway, adminKey } = await recordingGateway(
      parseConfig({
        storage: { path: ":memory:" },
        routing: { retries: 0 },
        translation: { unsupported },
        providers: [
          { name: "an", type: "anthropic", base_url: `http://127.0.0.1:${upstream.port}`, api_key: "k" },
        ],
        models: Object.keys(LEVELS).map((model) => ({ name: model, routes: [{ provider: "an", model }] })),
      }),
    );
    const openai = new OpenAI({
      baseURL: `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}/v1`,
      apiKey: adminKey,
      maxRetries: 0,
    });
    return { gateway, openai };
  }

  beforeAll(async () => {
    upstream = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(request) {
        const body = (await request.json()) as Sent;
        sent.push(body);
        return judged(body);
      },
    });
    dropping = await gatewayOnUpstream("drop");
  });

  afterAll(async () => {
    await dropping?.gateway.stop();
    upstream?.stop(true);
  });

  const caller = (): OpenAI => {
    if (dropping === undefined) throw new Error("the effort upstream is read before beforeAll started it");
    return dropping.openai;
  };

  return {
    sent,
    gatewayOnUpstream,
    /** The caller of the gateway under translation.unsupported: drop. */
    get openai(): OpenAI {
      return caller();
    },
    /** A chat call at `effort` (chat's words, and Anthropic's `max`, which the gateway reads too). */
    ask: (model: string, effort: string, extra: object = {}) =>
      caller()
        .chat.completions.create({
          model,
          messages: [{ role: "user", content: "hi" }],
          reasoning_effort: effort as "high",
          ...extra,
        })
        .withResponse(),
    /** The effort levels the upstream was sent since `before` (a length of `sent`). */
    sentSince: (before: number) => sent.slice(before).map((body) => body.output_config?.effort),
  };
}
