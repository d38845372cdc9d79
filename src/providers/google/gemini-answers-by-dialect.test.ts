import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import { type Answer, geminiGateway, google, googleEvents } from "./testing/gemini-gateway.ts";

// What a caller of each dialect gets from a Gemini route, through the whole gateway: the real
// Gemini provider, its `fetch` answering in Google's wire format. A filter's end and a prompt
// blocked before any candidate are clear answers (OpenAI chat's `content_filter`, as Azure
// OpenAI's filter sends; Anthropic's `refusal`; Responses' `incomplete`, `content_filter`), never
// an empty success or a 502; the tokens' log probabilities reach chat and Responses callers.

const DIALECTS = {
  chat: ["/v1/chat/completions", { messages: [{ role: "user", content: "hi" }] }],
  messages: ["/v1/messages", { max_tokens: 100, messages: [{ role: "user", content: "hi" }] }],
  responses: ["/v1/responses", { input: "hi" }],
} as const;

const ask = (dialect: keyof typeof DIALECTS, stream: boolean, fields: object = {}) => {
  const [path, body] = DIALECTS[dialect];
  return new Request(`http://gw${path}`, {
    method: "POST",
    headers: {
      authorization: "Bearer t",
      "content-type": "application/json",
      "anthropic-version": "2023-06-01",
    },
    body: JSON.stringify({ model: "m", stream, ...body, ...fields }),
  });
};

/** A stream's data events as the caller read them, parsed; `[DONE]` left out. */
const eventsOf = <T = StreamEvent>(text: string): T[] =>
  text
    .split("\n")
    .filter((line) => line.startsWith("data: ") && line !== "data: [DONE]")
    .map((line) => JSON.parse(line.slice(6)) as T);

/** What these tests read of each dialect's answer and events. */
interface ChatWhole {
  choices: Array<{ finish_reason: string; message: { content: string } }>;
}
interface MessagesWhole {
  stop_reason: string;
  content: Array<{ text?: string }>;
}
interface ResponsesWhole {
  status: string;
  incomplete_details: { reason: string } | null;
  output: Array<{ content?: Array<{ text?: string }> }>;
}
interface StreamEvent {
  type?: string;
  choices?: Array<{ finish_reason: string | null; delta: { content?: string } }>;
  /** A Responses text delta's text, or a Messages event's delta. */
  delta?: string | { stop_reason?: string; text?: string };
  response?: ResponsesWhole;
}

/**
 * How the answer ended, in the caller's dialect's words: chat's `finish_reason`, Messages'
 * `stop_reason`, a Responses `status` and its `incomplete_details.reason`; and the text it wrote.
 */
async function ending(dialect: keyof typeof DIALECTS, stream: boolean, response: Response) {
  expect(response.status).toBe(200);
  const raw = await response.text();
  if (!stream) {
    if (dialect === "chat") {
      const [choice] = (JSON.parse(raw) as ChatWhole).choices;
      return [choice?.finish_reason, choice?.message.content];
    }
    if (dialect === "messages") {
      const body = JSON.parse(raw) as MessagesWhole;
      return [body.stop_reason, body.content.map((block) => block.text ?? "").join("")];
    }
    const body = JSON.parse(raw) as ResponsesWhole;
    return [`${body.status} ${body.incomplete_details?.reason}`, textOf(body.output)];
  }
  const events = eventsOf(raw);
  if (dialect === "chat") {
    const choices = events.flatMap((e) => e.choices ?? []);
    return [
      choices.find((c) => c.finish_reason)?.finish_reason,
      choices.map((c) => c.delta.content ?? "").join(""),
    ];
  }
  const said = (e: StreamEvent) => (typeof e.delta === "object" ? e.delta : undefined);
  if (dialect === "messages")
    return [
      said(events.find((e) => e.type === "message_delta") ?? {})?.stop_reason,
      events.map((e) => said(e)?.text ?? "").join(""),
    ];
  const done = events.at(-1)?.response;
  return [
    `${done?.status} ${done?.incomplete_details?.reason}`,
    events.map((e) => (e.type === "response.output_text.delta" ? e.delta : "")).join(""),
  ];
}

const textOf = (output: ResponsesWhole["output"]): string =>
  output
    .flatMap((item) => item.content ?? [])
    .map((part) => part.text ?? "")
    .join("");

describe("a Gemini filter's end and a blocked prompt, in each caller's dialect, streamed or not", () => {
  const usage = { promptTokenCount: 10, candidatesTokenCount: 1 };
  const ANSWERS = {
    "a prompt blocked before any candidate (promptFeedback.blockReason)": {
      promptFeedback: { blockReason: "PROHIBITED_CONTENT" },
      usageMetadata: { promptTokenCount: 10 },
    },
    "a candidate the filter stopped before it wrote (SAFETY)": {
      candidates: [{ content: { role: "model" }, finishReason: "SAFETY" }],
      usageMetadata: usage,
    },
    "a candidate the filter stopped after some text (RECITATION)": {
      candidates: [{ content: { role: "model", parts: [{ text: "Once" }] }, finishReason: "RECITATION" }],
      usageMetadata: usage,
    },
  };
  const EXPECTED = {
    chat: "content_filter",
    messages: "refusal",
    responses: "incomplete content_filter",
  } as const;

  for (const [what, body] of Object.entries(ANSWERS))
    test(`${what}: content_filter, refusal, incomplete (content_filter)`, async () => {
      const { gateway } = await geminiGateway((_sent, stream) => google(body, stream));
      try {
        const text = JSON.stringify(body).includes('"Once"') ? "Once" : "";
        for (const dialect of ["chat", "messages", "responses"] as const)
          for (const stream of [false, true])
            expect([
              dialect,
              stream,
              ...(await ending(dialect, stream, await gateway.handle(ask(dialect, stream)))),
            ]).toEqual([dialect, stream, EXPECTED[dialect], text]);
      } finally {
        await gateway.stop();
      }
    });

  test("MAX_TOKENS: length, max_tokens, incomplete (max_output_tokens)", async () => {
    const body = {
      candidates: [{ content: { role: "model", parts: [{ text: "Once" }] }, finishReason: "MAX_TOKENS" }],
      usageMetadata: usage,
    };
    const { gateway } = await geminiGateway((_sent, stream) => google(body, stream));
    try {
      const said = [];
      for (const dialect of ["chat", "messages", "responses"] as const)
        for (const stream of [false, true])
          said.push((await ending(dialect, stream, await gateway.handle(ask(dialect, stream))))[0]);
      expect(said).toEqual([
        "length",
        "length",
        "max_tokens",
        "max_tokens",
        "incomplete max_output_tokens",
        "incomplete max_output_tokens",
      ]);
    } finally {
      await gateway.stop();
    }
  });
});

describe("the tokens' log probabilities from Gemini, to chat and Responses callers", () => {
  // What Gemini answers with responseLogprobs and logprobs: 1: "Paris" in two tokens.
  const token = (text: string, logProbability: number) => ({ token: text, logProbability });
  const RESULT = {
    chosenCandidates: [token("Par", -0.25), token("is", -0.5)],
    topCandidates: [{ candidates: [token("Par", -0.25)] }, { candidates: [token("is", -0.5)] }],
  };
  const step = (i: number) => ({
    chosenCandidates: [RESULT.chosenCandidates[i]],
    topCandidates: [RESULT.topCandidates[i]],
  });
  const answer: Answer = (sent, stream) => {
    const config = sent.generationConfig as JsonObject | undefined;
    const withLogprobs = (result: object) => (config?.responseLogprobs ? { logprobsResult: result } : {});
    if (!stream)
      return google(
        {
          candidates: [
            {
              content: { role: "model", parts: [{ text: "Paris" }] },
              finishReason: "STOP",
              ...withLogprobs(RESULT),
            },
          ],
          usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2 },
        },
        false,
      );
    const events = [
      { candidates: [{ content: { role: "model", parts: [{ text: "Par" }] }, ...withLogprobs(step(0)) }] },
      {
        candidates: [
          {
            content: { role: "model", parts: [{ text: "is" }] },
            finishReason: "STOP",
            ...withLogprobs(step(1)),
          },
        ],
        usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2 },
      },
    ];
    return googleEvents(events);
  };
  /** Each token as the caller reads it: its text, logprob and its alternatives' texts. */
  type Token = { token: string; logprob: number; bytes: number[]; top_logprobs: Array<{ token: string }> };
  const read = (tokens: Token[]) =>
    tokens.map((t) => [t.token, t.logprob, t.top_logprobs.map((top) => top.token)]);
  const PARIS = [
    ["Par", -0.25, ["Par"]],
    ["is", -0.5, ["is"]],
  ];

  test("chat, whole and streamed: choices[].logprobs.content, Gemini asked with responseLogprobs and logprobs", async () => {
    const { gateway, sent } = await geminiGateway(answer);
    try {
      const whole = await (
        await gateway.handle(ask("chat", false, { logprobs: true, top_logprobs: 1 }))
      ).json();
      expect(read(whole.choices[0].logprobs.content)).toEqual(PARIS);
      const streamed = eventsOf<{ choices?: Array<{ logprobs: { content: Token[] } | null }> }>(
        await (await gateway.handle(ask("chat", true, { logprobs: true, top_logprobs: 1 }))).text(),
      ).flatMap((e) => e.choices ?? []);
      expect(read(streamed.flatMap((c) => c.logprobs?.content ?? []))).toEqual(PARIS);
      expect(sent.map((body) => body.generationConfig)).toEqual([
        { responseLogprobs: true, logprobs: 1 },
        { responseLogprobs: true, logprobs: 1 },
      ]);
    } finally {
      await gateway.stop();
    }
  });

  test("Responses, whole and streamed: output_text.logprobs and each delta's", async () => {
    const { gateway } = await geminiGateway(answer);
    try {
      const whole = await (await gateway.handle(ask("responses", false, { top_logprobs: 1 }))).json();
      expect(read(whole.output[0].content[0].logprobs)).toEqual(PARIS);
      const events = eventsOf<{ type: string; logprobs?: Token[] }>(
        await (await gateway.handle(ask("responses", true, { top_logprobs: 1 }))).text(),
      );
      const deltas = events.filter((e) => e.type === "response.output_text.delta");
      expect(read(deltas.flatMap((delta) => delta.logprobs ?? []))).toEqual(PARIS);
    } finally {
      await gateway.stop();
    }
  });

  test("Responses, streamed: logprobs on an event of no text (apart, or a call's) reach a delta or the message", async () => {
    const events = (second: object) => [
      { candidates: [{ content: { role: "model", parts: [{ text: "Par" }] }, logprobsResult: step(0) }] },
      { candidates: [{ ...second, logprobsResult: step(1) }] },
      { candidates: [{ content: { role: "model" }, finishReason: "STOP" }] },
    ];
    const call = { content: { role: "model", parts: [{ functionCall: { name: "f", args: {} } }] } };
    for (const second of [{ content: { role: "model" } }, call]) {
      const { gateway } = await geminiGateway(() => googleEvents(events(second)));
      try {
        const seen = eventsOf<{ type: string; logprobs?: Token[]; response?: { output: JsonObject[] } }>(
          await (await gateway.handle(ask("responses", true, { top_logprobs: 1 }))).text(),
        );
        const message = seen.at(-1)?.response?.output[0] as { content: Array<{ logprobs: Token[] }> };
        expect(read(message.content[0]?.logprobs ?? [])).toEqual(PARIS);
        // With the message still open, the delta events carry them too.
        const deltas = seen.filter((e) => e.type === "response.output_text.delta");
        if (second !== call) expect(read(deltas.flatMap((delta) => delta.logprobs ?? []))).toEqual(PARIS);
      } finally {
        await gateway.stop();
      }
    }
  });

  test("none asked, none sent nor answered: logprobs null", async () => {
    const { gateway, sent } = await geminiGateway(answer);
    try {
      const whole = await (await gateway.handle(ask("chat", false))).json();
      expect(whole.choices[0].logprobs).toBeNull();
      expect(sent[0]?.generationConfig).toBeUndefined();
    } finally {
      await gateway.stop();
    }
  });

  test("a model that gives none (400 'Logprobs is not enabled…'): asked again without, the answer's, x-mindgw-dropped naming them", async () => {
    const { gateway, sent } = await geminiGateway((body, stream) => {
      const config = body.generationConfig as JsonObject | undefined;
      if (config?.responseLogprobs)
        return Response.json(
          {
            error: {
              code: 400,
              message: "Logprobs is not enabled for models/gemini-2.5-flash",
              status: "INVALID_ARGUMENT",
            },
          },
          { status: 400 },
        );
      return answer(body, stream);
    });
    try {
      const response = await gateway.handle(ask("chat", false, { logprobs: true, top_logprobs: 1 }));
      expect(response.status).toBe(200);
      expect(response.headers.get("x-mindgw-dropped")).toBe("logprobs, top_logprobs");
      const whole = await response.json();
      expect([whole.choices[0].message.content, whole.choices[0].logprobs]).toEqual(["Paris", null]);
      expect(sent.map((body) => body.generationConfig ?? null)).toEqual([
        { responseLogprobs: true, logprobs: 1 },
        null,
      ]);
    } finally {
      await gateway.stop();
    }
  });
});
