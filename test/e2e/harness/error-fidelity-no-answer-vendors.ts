// 200s with no answer in them, for the error-fidelity tests (served by error-fidelity-vendors.ts's
// vendorAnswers), and the empty answers beside them that are answers all the same.

import type { VendorAnswer } from "./error-fidelity-vendors.ts";

/** What each chunk of a chat stream opens with, as OpenAI writes it. */
const chunkHead = {
  id: "chatcmpl-empty",
  object: "chat.completion.chunk",
  created: 1_760_000_000,
  model: "m",
  system_fingerprint: "fp_1",
};

/**
 * Azure OpenAI's first chunk since its 2023-06-01-preview API: the prompt's filter results, no
 * choice (AbanteAI/archive-old-cli-mentat#429, seratch/ChatGPT-in-Slack#49); the answer follows.
 */
const azurePromptFilter = {
  id: "",
  object: "",
  created: 0,
  model: "",
  choices: [],
  prompt_filter_results: [
    {
      prompt_index: 0,
      content_filter_results: {
        hate: { filtered: false, severity: "safe" },
        self_harm: { filtered: false, severity: "safe" },
        sexual: { filtered: false, severity: "safe" },
        violence: { filtered: false, severity: "safe" },
      },
    },
  ],
};

const usage = { prompt_tokens: 5, completion_tokens: 0, total_tokens: 5 };
const STREAM = { "content-type": "text/event-stream" };

/** The answers, by the upstream model asked for. */
export function noAnswerAnswers(): Record<string, VendorAnswer> {
  return {
    // A 200 with nothing in it: no choice (a server whose filter ate the answer; clients index
    // `choices[0]` and crash, vercel/ai#20352), or no answer at all, in each dialect.
    "no-choices": [200, { ...chunkHead, object: "chat.completion", choices: [], usage }],
    "empty-object": [200, {}],
    // The same as a stream: chunks without a choice (Azure's prompt filter chunk, then one of
    // usage alone), then `[DONE]`; no content, no finish.
    "no-choices-stream": [200, [azurePromptFilter, { ...chunkHead, choices: [], usage }], STREAM],
    // An empty answer that is one: Azure's prompt filter chunk, the role, the finish with nothing
    // said (OpenAI's `delta: {}` at `stop`), then its usage alone.
    "empty-completion-stream": [
      200,
      [
        azurePromptFilter,
        {
          ...chunkHead,
          choices: [
            { index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null },
          ],
        },
        { ...chunkHead, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }] },
        { ...chunkHead, choices: [], usage },
      ],
      STREAM,
    ],
    // `"error": null` on every chunk (and on a whole answer), as some OpenAI-compatible servers
    // send it: no error, the answer whole. First, where a byte search meets it first.
    "null-error": [
      200,
      { error: null, ...chunkHead, object: "chat.completion", choices: [nullErrorChoice], usage },
    ],
    "null-error-stream": saidErrorStream(null),
    // The same said as `false` or empty words: neither an object nor words, no error.
    "false-error-stream": saidErrorStream(false),
    "empty-error-stream": saidErrorStream(""),
  };
}

/** A good chat stream whose every chunk opens with `"error": error`. */
const saidErrorStream = (error: null | false | ""): VendorAnswer => [
  200,
  [
    { delta: { role: "assistant", content: "" }, finish_reason: null },
    { delta: { content: "hi" }, finish_reason: null },
    { delta: {}, finish_reason: "stop" },
  ].map((choice) => ({ error, ...chunkHead, choices: [{ index: 0, ...choice }] })),
  STREAM,
];

const nullErrorChoice = { index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" };
