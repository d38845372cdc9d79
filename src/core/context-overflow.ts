/**
 * How upstreams without OpenAI's code say a prompt does not fit (vLLM, Gemini, Bedrock, llama.cpp:
 * "the request exceeds the available context size"; TGI: "`inputs` tokens + `max_new_tokens` must
 * be <= 4096. Given: …" and "`inputs` must have less than 4096 tokens. Given: …", its older
 * releases without the backticks and with "input tokens"; SGLang and Together AI: "The input
 * (61709 tokens) is longer than the model's context length (40960 tokens)."; xAI: "This model's
 * maximum prompt length is 131072 but the request contains 149617 tokens."; Amazon Nova on
 * Bedrock: "Input Tokens Exceeded: Number of input tokens exceeds maximum length."; Alibaba's Qwen
 * API (DashScope): "Range of input length should be [1, 129024]"; Poolside's, through Baseten's and
 * OpenRouter's APIs: "Input length 131393 exceeds the maximum allowed input length of 131040
 * tokens."; GitHub Copilot: "prompt token count of 168929 exceeds the limit of 168000" (code
 * `model_max_prompt_tokens_exceeded`); DeepInfra: "Requested input length 39818 exceeds maximum
 * input length 32767"; MiniMax: "invalid params, context window exceeds limit (2013)", 2013 its
 * error code, no count, in OpenAI's shapes and in Anthropic's; Moonshot's (Kimi's): "Invalid
 * request: Your request exceeded model token limit: 262144 (requested: 370653)", the prompt and
 * `max_tokens` together (`totalInOpenAIWords`); vLLM's input
 * processor: "The decoder prompt (length 9028) is longer than the maximum model length of 8192.", and
 * before its V1 engine: "The prompt (total length 25938) is too long to fit into the model (context
 * length 4096)."; Mistral: "Prompt contains 66385 tokens, too large for model with 32768 maximum
 * context length" (matched by its last words); Ollama: "prompt too long; exceeded max context length
 * by 17 tokens", the excess alone; LM Studio: llama.cpp's "The number of tokens to keep from the
 * initial prompt is greater than the context length.", no count, and its own "Trying to keep the
 * first 111490 tokens when context the overflows. However, the model is loaded with context length
 * of only 32768 tokens"; Anthropic's, the answer counted
 * apart, as OpenRouter relays it: "input length and `max_tokens` exceed context limit: …").
 * Tested only on an error's words, never on an answer.
 */
export const CONTEXT_TOO_LONG =
  /maximum context length|context (length|window) (is )?exceeded|context window exceeds limit|exceeds the (maximum number of tokens|context|available context|maximum allowed input length)|input is too long|prompt is too long|too many tokens|`?inputs?`? tokens \+ `?max_new_tokens`? must be <=|`?inputs`? must have less than \d+ tokens|is longer than the model's context length|maximum prompt length is \d+|number of input tokens exceeds maximum length|range of input length should be \[1, \d+\]|prompt token count of \d+ exceeds the limit|input length \d+ exceeds maximum input length|exceed context limit|exceeded model token limit|prompt \(length \d+\) is longer than the maximum model length|too long to fit into the model|exceeded max context length|greater than the context length|loaded with context length of only \d+ tokens/i;

/**
 * What a context-length refusal says of the request it refused, in tokens: the window, the prompt,
 * and the answer asked for when the refusal counts it apart. Whether the prompt alone fits the
 * window decides what the client should do: shorten the conversation, or ask for a shorter answer.
 */
export interface ContextOverflow {
  readonly window: number;
  readonly prompt: number;
  /** The answer's budget (`max_tokens`), when the refusal counts it apart from the prompt. */
  readonly answer?: number;
}

/** The window, as each upstream words it. */
const WINDOW = [
  /maximum context length is (\d+) tokens/i, // OpenAI, vLLM, OpenRouter ("This endpoint's …")
  /maximum number of tokens allowed \((\d+)\)/i, // Gemini, Vertex AI
  /exceeds the available context size \((\d+) tokens\)/i, // llama.cpp
  /`?inputs?`? tokens \+ `?max_new_tokens`? must be <= (\d+)/i, // TGI, the prompt and the answer
  /`?inputs`? must have less than (\d+) tokens/i, // TGI, the prompt alone
  /longer than the model's context length \((\d+) tokens\)/i, // SGLang, Together AI
  /maximum prompt length is (\d+)/i, // xAI
  /maximum allowed input length of (\d+)/i, // Poolside
  /prompt token count of \d+ exceeds the limit of (\d+)/i, // GitHub Copilot
  /exceeds maximum input length (\d+)/i, // DeepInfra
  /exceeded model token limit: (\d+)/i, // Moonshot (Kimi)
  /longer than the maximum model length of (\d+)/i, // vLLM's input processor
  /too long to fit into the model \(context length (\d+)\)/i, // vLLM's older input processor
  /too large for model with (\d+) maximum context length/i, // Mistral
  /loaded with context length of only (\d+) tokens/i, // LM Studio
];

/** The prompt and the answer counted apart: each pattern's groups, and which is which. */
const SPLIT: readonly { pattern: RegExp; prompt: number; answer: number }[] = [
  // OpenAI's older words, vLLM's: "you requested 143000 tokens (15000 in the messages, 128000 in the completion)".
  { pattern: /(\d+) in the messages, (\d+) in the completion/i, prompt: 1, answer: 2 },
  // vLLM since 2025: "'max_tokens' or 'max_completion_tokens' is too large: 128000. This model's
  // maximum context length is 131072 tokens and your request has 15000 input tokens".
  { pattern: /is too large: (\d+)\..*?your request has (\d+) input tokens/is, prompt: 2, answer: 1 },
  // vLLM's since: "However, you requested 32000 output tokens and your prompt contains at least
  // 230145 input tokens, for a total of at least 262145 tokens." (its `param` input_tokens).
  {
    pattern: /requested (\d+) output tokens and your prompt contains at least (\d+) input tokens/i,
    prompt: 2,
    answer: 1,
  },
  // TGI: "Given: 4000 `inputs` tokens and 500 `max_new_tokens`".
  { pattern: /Given: (\d+) `?inputs?`? tokens and (\d+) `?max_new_tokens`?/i, prompt: 1, answer: 2 },
];

/** The prompt alone: OpenAI, vLLM, Gemini, llama.cpp, TGI, SGLang, xAI, Poolside and DeepInfra, GitHub Copilot, Mistral, LM Studio. */
const PROMPT = [
  /your request has (\d+) input tokens/i,
  /(?:resulted in|requested) (\d+) tokens/i,
  /input token count \((\d+)\)/i,
  /request \((\d+) tokens\) exceeds the available context size/i,
  /must have less than \d+ tokens\. Given: (\d+)/i,
  /input \((\d+) tokens\) is longer than/i,
  /the request contains (\d+) tokens/i,
  /input length (\d+) exceeds/i,
  /prompt token count of (\d+)/i,
  /prompt \(length (\d+)\) is longer than/i,
  /prompt \(total length (\d+)\) is too long/i,
  /prompt contains (\d+) tokens/i,
  /keep the first (\d+) tokens when context/i,
];

/**
 * OpenRouter's: "(138021 of text input, 1500 of tool input, 1500 in the output)", the prompt the
 * sum of its inputs.
 */
const OPENROUTER = /\(((?:\d+ of \w+ input, )+)(\d+) in the output\)/i;

const numberOf = (pattern: RegExp, text: string, group = 1): number | undefined => {
  const found = pattern.exec(text)?.[group];
  return found === undefined ? undefined : Number(found);
};

const firstOf = (patterns: readonly RegExp[], text: string): number | undefined => {
  for (const pattern of patterns) {
    const found = numberOf(pattern, text);
    if (found !== undefined) return found;
  }
  return undefined;
};

/**
 * Anthropic's, the prompt and `max_tokens` counted apart: "input length and `max_tokens` exceed
 * context limit: 15000 + 128000 > 131072, decrease input length or `max_tokens` and try again".
 */
const ANTHROPIC = /exceed context limit: (\d+) \+ (\d+) > (\d+)/i;

/** The numbers a context-length refusal gives, in any upstream's words; undefined without window and prompt. */
export function readContextOverflow(message: string): ContextOverflow | undefined {
  const anthropic = ANTHROPIC.exec(message);
  if (anthropic)
    return { window: Number(anthropic[3]), prompt: Number(anthropic[1]), answer: Number(anthropic[2]) };
  const window = firstOf(WINDOW, message);
  if (window === undefined) return undefined;
  for (const { pattern, prompt, answer } of SPLIT) {
    const found = pattern.exec(message);
    if (found) return { window, prompt: Number(found[prompt]), answer: Number(found[answer]) };
  }
  const routed = OPENROUTER.exec(message);
  if (routed) {
    const inputs = [...(routed[1] ?? "").matchAll(/(\d+) of/g)].map((input) => Number(input[1]));
    return { window, prompt: inputs.reduce((sum, n) => sum + n, 0), answer: Number(routed[2]) };
  }
  const prompt = firstOf(PROMPT, message);
  return prompt === undefined ? undefined : { window, prompt };
}

/**
 * A refusal in OpenAI's words (vLLM's too), which clients of every dialect read: with the answer
 * counted apart when there is one ("you requested N tokens (P in the messages, A in the
 * completion)"), else the prompt alone ("your messages resulted in P tokens"). `why` follows the
 * numbers. readContextOverflow reads it back.
 */
export function contextOverflowMessage(overflow: ContextOverflow, why: string): string {
  const { window, prompt, answer } = overflow;
  const head = `This model's maximum context length is ${window} tokens. However,`;
  if (answer === undefined)
    return `${head} your messages resulted in ${prompt} tokens, ${why}. Please reduce the length of the messages.`;
  return `${head} you requested ${prompt + answer} tokens (${prompt} in the messages, ${answer} in the completion), ${why}. Please reduce the length of the messages or completion.`;
}

/**
 * Moonshot's (Kimi's) count: the prompt and `max_tokens` together, not the prompt alone
 * (MoonshotAI/kimi-cli#2011: "262144 (requested: 269030)" for a conversation under half the
 * window, sent with kimi-cli's `max_tokens` of 32000).
 */
const PROMPT_AND_ANSWER = /exceeded model token limit: (\d+) \(requested: (\d+)\)/i;

/**
 * A refusal that counts the prompt and the answer together, said in OpenAI's words with the two
 * apart, given the `max_tokens` the refused attempt sent (`answer`): read back, it tells a client
 * whether to shorten the conversation or ask for a shorter answer. Undefined for any other refusal,
 * or when the attempt sent no bound (the upstream's default is not known, so neither is the prompt).
 */
export function totalInOpenAIWords(message: string, answer: number): string | undefined {
  const found = PROMPT_AND_ANSWER.exec(message);
  if (found === undefined || found === null || answer <= 0) return undefined;
  const window = Number(found[1]);
  const total = Number(found[2]);
  if (total <= answer) return undefined;
  return contextOverflowMessage({ window, prompt: total - answer, answer }, `the upstream said: ${message}`);
}
