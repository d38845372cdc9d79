import { expect, test } from "bun:test";
import { contextRefusal } from "./anthropic-errors.ts";
import { CONTEXT_TOO_LONG, readContextOverflow, totalInOpenAIWords } from "./context-overflow.ts";

// vLLM's words since 2025, the answer asked for and the prompt counted apart.
const vllm = (answer: number, prompt: number, window: number) =>
  `This model's maximum context length is ${window} tokens. However, you requested ${answer} output tokens and your prompt contains at least ${prompt} input tokens, for a total of at least ${answer + prompt} tokens. Please reduce the length of the input prompt or the number of requested output tokens. (parameter=input_tokens, value=${prompt})`;

test("vLLM's refusal counting the answer apart: a prompt that fits asks for less, one that does not is too long", () => {
  expect(readContextOverflow(vllm(32000, 230145, 262144))).toEqual({
    window: 262144,
    prompt: 230145,
    answer: 32000,
  });
  expect(contextRefusal(vllm(32000, 230145, 262144))).toBe(
    "input length and `max_tokens` exceed context limit: 230145 + 32000 > 262144, decrease input length or `max_tokens` and try again",
  );
  expect(contextRefusal(vllm(0, 40961, 40960))).toBe("prompt is too long: 40961 tokens > 40960 maximum");
});

test("vLLM's input processor's refusal: the prompt past the window", () => {
  const words =
    "The decoder prompt (length 9028) is longer than the maximum model length of 8192. Make sure that `max_model_len` is no smaller than the number of text tokens.";
  expect(readContextOverflow(words)).toEqual({ window: 8192, prompt: 9028 });
  expect(contextRefusal(words)).toBe("prompt is too long: 9028 tokens > 8192 maximum");
});

test.each([
  [
    "vLLM's older input processor",
    "The prompt (total length 25938) is too long to fit into the model (context length 4096). Make sure that `max_model_len` is no smaller than the number of text tokens plus multimodal tokens.",
    { window: 4096, prompt: 25938 },
  ],
  [
    "Mistral",
    "Prompt contains 66385 tokens, too large for model with 32768 maximum context length",
    { window: 32768, prompt: 66385 },
  ],
  [
    "LM Studio",
    "Trying to keep the first 111490 tokens when context the overflows. However, the model is loaded with context length of only 32768 tokens, which is not enough.",
    { window: 32768, prompt: 111490 },
  ],
])("%s's refusal: its window and its prompt", (_, words, overflow) => {
  expect(CONTEXT_TOO_LONG.test(words)).toBe(true);
  expect(readContextOverflow(words)).toEqual(overflow);
});

test.each([
  ["Ollama", "prompt too long; exceeded max context length by 17 tokens"],
  [
    "LM Studio (llama.cpp's n_keep)",
    "The number of tokens to keep from the initial prompt is greater than the context length.",
  ],
])("%s's refusal is one, with no count to read", (_, words) => {
  expect(CONTEXT_TOO_LONG.test(words)).toBe(true);
  expect(readContextOverflow(words)).toBeUndefined();
});

test("Moonshot's (Kimi's) count, the prompt and max_tokens together (MoonshotAI/kimi-cli#2011): the prompt is what is left past the bound sent", () => {
  const kimi = "Invalid request: Your request exceeded model token limit: 262144 (requested: 269030)";
  const apart = totalInOpenAIWords(kimi, 32000) ?? "";
  expect(readContextOverflow(apart)).toEqual({ window: 262144, prompt: 237030, answer: 32000 });
  expect(contextRefusal(apart)).toBe(
    "input length and `max_tokens` exceed context limit: 237030 + 32000 > 262144, decrease input length or `max_tokens` and try again",
  );
  expect(totalInOpenAIWords(kimi, 0)).toBeUndefined();
  expect(readContextOverflow(kimi)).toBeUndefined();
  expect(totalInOpenAIWords("prompt is too long: 9028 tokens > 8192 maximum", 32000)).toBeUndefined();
});
