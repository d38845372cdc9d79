import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import { collect, payloads, replay } from "../fixtures/load-fixture.ts";
import { translateStream } from "../stream/stream-driver.ts";
import { chatRequestToGemini } from "./chat-request-to-gemini.ts";
import { geminiResponseToChat } from "./gemini-response-to-chat.ts";
import { GeminiChunkWriter, geminiEventReader } from "./gemini-stream-to-chat.ts";

// Log probabilities: chat's logprobs and top_logprobs as Gemini's, and Gemini's back, whole and streamed.

describe("log probabilities: chat's logprobs and top_logprobs, Gemini's responseLogprobs and logprobsResult", () => {
  const asked = (fields: JsonObject) =>
    chatRequestToGemini({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }], ...fields })
      .generationConfig;

  test("asked for: responseLogprobs, and top_logprobs as Gemini's logprobs (none for 0); nothing without logprobs: true", () => {
    expect(asked({ logprobs: true, top_logprobs: 3 })).toEqual({ responseLogprobs: true, logprobs: 3 });
    expect(asked({ logprobs: true, top_logprobs: 0 })).toEqual({ responseLogprobs: true });
    expect(asked({ logprobs: true })).toEqual({ responseLogprobs: true });
    // OpenAI requires logprobs beside top_logprobs; Gemini's logprobs means nothing without responseLogprobs.
    expect(asked({ top_logprobs: 3 })).toBeUndefined();
    expect(asked({ logprobs: false, top_logprobs: 3 })).toBeUndefined();
  });

  // As Gemini answers with `responseLogprobs` and `logprobs: 2`: a token a step, the two likeliest
  // there; a certain token's logProbability left out (proto3's JSON omits a 0).
  const PARIS = {
    chosenCandidates: [
      { token: "Paris", logProbability: -0.01, tokenId: 9 },
      { token: " é", tokenId: 10 },
    ],
    topCandidates: [
      {
        candidates: [
          { token: "Paris", logProbability: -0.01 },
          { token: "It", logProbability: -4.6 },
        ],
      },
      { candidates: [{ token: " é" }, { token: ".", logProbability: -9.2 }] },
    ],
  };
  const bytes = (text: string) => [...new TextEncoder().encode(text)];
  const PARIS_CHAT = [
    {
      token: "Paris",
      logprob: -0.01,
      bytes: bytes("Paris"),
      top_logprobs: [
        { token: "Paris", logprob: -0.01, bytes: bytes("Paris") },
        { token: "It", logprob: -4.6, bytes: bytes("It") },
      ],
    },
    {
      token: " é",
      logprob: 0,
      bytes: [32, 195, 169],
      top_logprobs: [
        { token: " é", logprob: 0, bytes: [32, 195, 169] },
        { token: ".", logprob: -9.2, bytes: bytes(".") },
      ],
    },
  ];

  test("an answer's logprobsResult is the choice's logprobs.content, token by token, with bytes and alternatives", () => {
    const chat = geminiResponseToChat(
      {
        candidates: [
          {
            content: { role: "model", parts: [{ text: "Paris é" }] },
            finishReason: "STOP",
            avgLogprobs: -0.005,
            logprobsResult: PARIS,
          },
        ],
      },
      "g",
      "c",
      1,
    );
    expect(chat.choices).toEqual([
      expect.objectContaining({
        message: expect.objectContaining({ content: "Paris é" }),
        logprobs: { content: PARIS_CHAT, refusal: null },
        finish_reason: "stop",
      }),
    ]);
  });

  test("none asked for is null; only the chosen tokens (top_logprobs 0) have no alternatives; one the gateway cannot read is null, the answer standing", () => {
    const choice = (logprobsResult?: unknown) =>
      (
        geminiResponseToChat(
          {
            candidates: [
              {
                content: { role: "model", parts: [{ text: "Paris" }] },
                finishReason: "STOP",
                ...(logprobsResult === undefined ? {} : { logprobsResult }),
              },
            ],
          },
          "g",
          "c",
          1,
        ) as { choices: Array<{ message: { content: string }; logprobs: unknown }> }
      ).choices[0];
    expect(choice()?.logprobs).toBeNull();
    expect(choice({ chosenCandidates: [{ token: "Paris", logProbability: -0.5 }] })?.logprobs).toEqual({
      content: [{ token: "Paris", logprob: -0.5, bytes: bytes("Paris"), top_logprobs: [] }],
      refusal: null,
    });
    const unreadable = choice({ chosenCandidates: "Paris" });
    expect([unreadable?.message.content, unreadable?.logprobs]).toEqual(["Paris", null]);
  });

  /** The chat chunks a Gemini stream of `events` becomes. */
  const streamed = async (events: object[], answers = 1) =>
    payloads(
      await collect(
        translateStream(
          replay(events.map((event) => ({ data: JSON.stringify(event) }))),
          geminiEventReader(),
          new GeminiChunkWriter("c", "g", false, undefined, undefined, answers),
        ).events,
      ),
    ).flatMap(
      (p) =>
        (
          p as {
            choices?: Array<{
              index: number;
              delta: { content?: string; tool_calls?: unknown[] };
              logprobs: { content: unknown[] } | null;
              finish_reason: string | null;
            }>;
          }
        ).choices ?? [],
    );

  test("streamed: each event's tokens on its text's chunk, the whole stream's the whole answer's", async () => {
    const step = (i: number) => ({
      chosenCandidates: [PARIS.chosenCandidates[i]],
      topCandidates: [PARIS.topCandidates[i]],
    });
    const choices = await streamed([
      { candidates: [{ content: { role: "model", parts: [{ text: "Paris" }] }, logprobsResult: step(0) }] },
      {
        candidates: [
          {
            content: { role: "model", parts: [{ text: " é" }] },
            logprobsResult: step(1),
            finishReason: "STOP",
          },
        ],
      },
    ]);
    expect(choices.filter((c) => c.delta.content).map((c) => [c.delta.content, c.logprobs?.content])).toEqual(
      [
        ["Paris", [PARIS_CHAT[0]]],
        [" é", [PARIS_CHAT[1]]],
      ],
    );
    // The role chunk and the finish have none.
    expect(choices.filter((c) => !c.delta.content).map((c) => c.logprobs)).toEqual([null, null]);
  });

  test("streamed: an event's tokens with no text to ride on (a call's) come on a chunk of their own", async () => {
    const choices = await streamed([
      {
        candidates: [
          {
            content: { role: "model", parts: [{ functionCall: { name: "f", args: {} } }] },
            logprobsResult: { chosenCandidates: [{ token: "f", logProbability: -0.2 }] },
            finishReason: "STOP",
          },
        ],
      },
    ]);
    expect(
      choices.map((c) => [Object.keys(c.delta), c.logprobs?.content.length ?? null, c.finish_reason]),
    ).toEqual([
      [["role", "content", "refusal"], null, null],
      [["tool_calls"], null, null],
      [[], 1, null],
      [[], null, "tool_calls"],
    ]);
  });

  test("n: 2 streamed: each candidate's tokens on its own choice", async () => {
    const one = (token: string) => ({ chosenCandidates: [{ token, logProbability: -1 }] });
    const choices = await streamed(
      [
        {
          candidates: [
            { index: 1, content: { role: "model", parts: [{ text: "Lyon" }] }, logprobsResult: one("Lyon") },
            {
              index: 0,
              content: { role: "model", parts: [{ text: "Paris" }] },
              logprobsResult: one("Paris"),
            },
          ],
        },
        {
          candidates: [
            { index: 0, content: { role: "model", parts: [] }, finishReason: "STOP" },
            { index: 1, content: { role: "model", parts: [] }, finishReason: "STOP" },
          ],
        },
      ],
      2,
    );
    expect(
      choices
        .filter((c) => c.delta.content)
        .map((c) => [c.index, c.delta.content, (c.logprobs?.content[0] as { token?: string })?.token]),
    ).toEqual([
      [1, "Lyon", "Lyon"],
      [0, "Paris", "Paris"],
    ]);
  });
});
