// Context-window refusals as vendors and self-hosted servers send them, and refusals that only
// look like one, for the error-fidelity tests (test/e2e/error-fidelity-context*.test.ts, served by
// error-fidelity-vendors.ts's vendorAnswers).

import type { VendorAnswer } from "./error-fidelity-vendors.ts";

/**
 * One entry of a FastAPI validation listing (pydantic's `errors()`), its `input` the value the caller
 * sent: here a prompt that speaks of context lengths itself.
 */
const ECHOED_ENTRY =
  "{'type': 'string_type', 'loc': ('body', 'messages', 0, 'content', 'str'), 'msg': 'Input should be a valid string', 'input': [{'type': 'txt', 'text': 'Our maximum context length is 32k tokens: is the prompt is too long for that?'}]}";

/**
 * Context-window refusals, by the upstream model asked for. Sources: TGI's 422
 * (huggingface/text-generation-inference#628); SGLang's 400, which Together AI's API words alike
 * (QwenLM/Qwen3#1321), and xAI's, in its own shape (`{"code","error"}`); vLLM's on its Anthropic
 * Messages endpoint, its own error in Anthropic's shape (vllm/entrypoints/anthropic).
 */
export function contextWindowAnswers(): Record<string, VendorAnswer> {
  const miniMax = (message: string) => ({
    type: "error",
    error: { type: "bad_request_error", message, http_code: "400" },
    request_id: "064dfd75a08fb858fc0cb7cc6aba4494",
  });
  return {
    "sglang-400": [
      400,
      {
        object: "error",
        message: "The input (61709 tokens) is longer than the model's context length (40960 tokens).",
        type: "BadRequestError",
        param: null,
        code: 400,
      },
    ],
    // Alibaba's Qwen API (DashScope's OpenAI-compatible mode): the window alone, its own code.
    "dashscope-400": [
      400,
      {
        error: {
          message: "Range of input length should be [1, 129024]",
          type: "invalid_request_error",
          param: null,
          code: "invalid_parameter_error",
        },
      },
    ],
    "xai-400": [
      400,
      {
        code: "Client specified an invalid argument",
        error: "This model's maximum prompt length is 131072 but the request contains 149617 tokens.",
      },
    ],
    // Poolside's words (through Baseten's and OpenRouter's APIs alike), GitHub Copilot's (its
    // code model_max_prompt_tokens_exceeded), DeepInfra's (vLLM's fields at the top, as Hugging
    // Face's router relays it), MiniMax's in its own shape (`bad_request_error`, `http_code` a
    // string: public clients quote its 2013 refusals so, e.g. "invalid params, unknown model … (2013)").
    // 2013 is MiniMax's code for any invalid parameter: its words say which, no count.
    "poolside-400": [
      400,
      {
        error: { message: "Input length 131393 exceeds the maximum allowed input length of 131040 tokens." },
      },
    ],
    "copilot-400": [
      400,
      {
        error: {
          message: "prompt token count of 168929 exceeds the limit of 168000",
          code: "model_max_prompt_tokens_exceeded",
        },
      },
    ],
    "deepinfra-400": [
      400,
      { object: "error", message: "Requested input length 39818 exceeds maximum input length 32767" },
    ],
    "minimax-400": [400, miniMax("invalid params, context window exceeds limit (2013)")],
    // Moonshot's (Kimi's) API, its body as OpenRouter relays it in `metadata.raw` for a BYOK key.
    "kimi-400": [
      400,
      {
        error: {
          message: "Invalid request: Your request exceeded model token limit: 262144 (requested: 370653)",
          type: "invalid_request_error",
        },
      },
    ],
    // Moonshot's count is the prompt and `max_tokens` together (MoonshotAI/kimi-cli#2011: 262144
    // (requested: 269030) for a conversation under half the window): here the error fixture's
    // Anthropic caller's prompt (262130 tokens) fits, its `max_tokens` (20) does not beside it.
    "kimi-fits-400": [
      400,
      {
        error: {
          message: "Invalid request: Your request exceeded model token limit: 262144 (requested: 262150)",
          type: "invalid_request_error",
        },
      },
    ],
    // MiniMax's refusal of an image over 10 MB: its 2013 again, no context refusal (its words as
    // NousResearch/hermes-agent#76039 and a CC Switch report, cc-switch#4820, quote them).
    "minimax-media-400": [400, miniMax("media exceeds size limit: max 10485760 bytes (2013)")],
    // vLLM's words since its 2025 releases: the answer asked for and the prompt counted apart
    // (its `param` names no field of the request).
    "vllm-output-400": [
      400,
      {
        error: {
          message:
            "This model's maximum context length is 262144 tokens. However, you requested 32000 output tokens and your prompt contains at least 230145 input tokens, for a total of at least 262145 tokens. Please reduce the length of the input prompt or the number of requested output tokens. (parameter=input_tokens, value=230145)",
          type: "BadRequestError",
          param: "input_tokens",
          code: 400,
        },
      },
    ],
    // vLLM's refusal of a prompt past `max_model_len` as its input processor words it (a
    // ValueError, its server's 400).
    "vllm-decoder-400": [
      400,
      {
        error: {
          message:
            "The decoder prompt (length 9028) is longer than the maximum model length of 8192. Make sure that `max_model_len` is no smaller than the number of text tokens.",
          type: "BadRequestError",
          param: null,
          code: 400,
        },
      },
    ],
    // vLLM's input processor before its V1 engine (vllm-project/vllm#12165): the prompt, the window.
    "vllm-prompt-400": [
      400,
      {
        object: "error",
        message:
          "The prompt (total length 25938) is too long to fit into the model (context length 4096). Make sure that `max_model_len` is no smaller than the number of text tokens plus multimodal tokens.",
        type: "BadRequestError",
        param: null,
        code: 400,
      },
    ],
    // Mistral's API: the prompt and the window (its words as Portkey's error library quotes them).
    "mistral-400": [
      400,
      {
        object: "error",
        message: "Prompt contains 66385 tokens, too large for model with 32768 maximum context length",
        type: "invalid_request_error",
        param: null,
        code: null,
      },
    ],
    // Ollama's OpenAI-compatible API: only how far past the window, neither the window nor the prompt.
    "ollama-400": [
      400,
      {
        error: {
          message: "prompt too long; exceeded max context length by 17 tokens",
          type: "invalid_request_error",
          param: null,
          code: null,
        },
      },
    ],
    // LM Studio's two words: llama.cpp's n_keep refusal, no count; and its own, the prompt it
    // would keep and the window loaded (lmstudio-ai/lmstudio-bug-tracker#546, #237).
    "lmstudio-400": [
      400,
      { error: "The number of tokens to keep from the initial prompt is greater than the context length." },
    ],
    "lmstudio-keep-400": [
      400,
      {
        error:
          "Trying to keep the first 111490 tokens when context the overflows. However, the model is loaded with context length of only 32768 tokens, which is not enough. Try to load the model with a larger context length, or provide a shorter input.",
      },
    ],
    "vllm-messages-400": [
      400,
      {
        type: "error",
        error: {
          type: "BadRequestError",
          message:
            "This model's maximum context length is 16384 tokens. However, you requested 19591 tokens (9591 in the messages, 10000 in the completion). Please reduce the length of the messages or completion.",
        },
      },
    ],
    // OpenRouter relaying its provider's refusal: its own words generic, the provider's in
    // `metadata.raw`, as text (DeepInfra's) or as the JSON text of the provider's body (Anthropic's)
    // (OpenRouter's error docs; OmniRoute#3044, go-openrouter#21 quote such bodies).
    "openrouter-deepinfra-400": [
      400,
      {
        error: {
          message: "Provider returned error",
          code: 400,
          metadata: {
            raw: "Requested input length 39818 exceeds maximum input length 32767",
            provider_name: "DeepInfra",
            is_byok: false,
          },
        },
        user_id: "user_2x",
      },
    ],
    // OpenRouter's relay as OpenCode Go's gateway answered it, its generic words prefixed
    // ("Error from provider: Provider returned error"), Moonshot's body in `metadata.raw`.
    "openrouter-kimi-400": [
      400,
      {
        error: {
          message: "Error from provider: Provider returned error",
          code: 400,
          metadata: {
            raw: JSON.stringify({
              error: {
                message:
                  "Invalid request: Your request exceeded model token limit: 262144 (requested: 370653)",
                type: "invalid_request_error",
              },
            }),
            provider_name: "Moonshot AI",
            is_byok: true,
          },
        },
        user_id: "user_2x",
      },
    ],
    "openrouter-anthropic-400": [
      400,
      {
        error: {
          message: "Provider returned error",
          code: 400,
          metadata: {
            raw: JSON.stringify({
              type: "error",
              error: {
                type: "invalid_request_error",
                message: "prompt is too long: 210000 tokens > 200000 maximum",
              },
            }),
            provider_name: "Anthropic",
          },
        },
        user_id: "user_2x",
      },
    ],
    // MiniMax's Anthropic-compatible API (agentscope-ai/QwenPaw#1273): its words in Anthropic's
    // shape, no count.
    "minimax-messages-400": [
      400,
      {
        type: "error",
        error: {
          type: "invalid_request_error",
          message: "invalid params, context window exceeds limit (2013)",
        },
        request_id: "05ffff21147fd872da78cd17c03f0785",
      },
    ],
    // vLLM's and SGLang's 400 for a request their schema refuses: the validation errors listed,
    // each with the value it refused, the caller's own words (FastAPI's listing, then its entries
    // again, as vLLM's api_server.py words it; SGLang's the same at the top; pydantic's own, as
    // vLLM's Messages endpoint words a ValueError, its repr cut to 25 + 24 characters).
    "vllm-listing-400": [
      400,
      {
        error: {
          message: `1 validation error:\n  ${ECHOED_ENTRY}\n\n  File "/usr/local/lib/python3.12/dist-packages/vllm/entrypoints/openai/api_server.py", line 661, in create_chat_completion\n    POST /v1/chat/completions [${ECHOED_ENTRY}]`,
          type: "Bad Request",
          param: null,
          code: 400,
        },
      },
    ],
    "sglang-listing-400": [
      400,
      { object: "error", message: ` [${ECHOED_ENTRY}]`, type: "Bad Request", param: null, code: 400 },
    ],
    "vllm-messages-listing-400": [
      400,
      {
        type: "error",
        error: {
          type: "BadRequestError",
          message:
            "1 validation error for ChatCompletionRequest\nmessages.0.content.str\n  Input should be a valid string [type=string_type, input_value=[{'type': 'txt', 'text'...if the prompt is too long'}], input_type=list]\n    For further information visit https://errors.pydantic.dev/2.11/v/string_type",
        },
      },
    ],
    "tgi-422": [
      422,
      {
        error:
          "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 500 `max_new_tokens`",
        error_type: "validation",
      },
    ],
  };
}
