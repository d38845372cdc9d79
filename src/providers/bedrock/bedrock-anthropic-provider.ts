import type { JsonObject } from "../../core/dialect.ts";
import { unsupportedOperation } from "../../core/gateway-error.ts";
import { countTokensToMessages } from "../../translate/openai-to-bedrock/count-tokens-to-converse.ts";
import { countOrEstimate } from "../http/count-or-estimate.ts";
import type { Provider, ProviderCall, ProviderReply } from "../provider.ts";
import { upstreamName } from "../upstream-name.ts";
import { BEDROCK_BETAS } from "./bedrock-betas.ts";
import { type BedrockOptions, bedrockCalls } from "./bedrock-call.ts";
import { BedrockEvents } from "./event-stream.ts";

/** What Bedrock takes in the body in place of Anthropic's `anthropic-version` header. */
const BEDROCK_VERSION = "bedrock-2023-05-31";

/**
 * Claude on Bedrock in Anthropic's own Messages body (`type: bedrock`, `publisher: anthropic`),
 * through `InvokeModel` and `InvokeModelWithResponseStream`: Anthropic callers reach it
 * untranslated (tools, thinking, `cache_control`, documents), OpenAI callers through the usual
 * chat → messages translation. Bedrock names the model in the URL and takes `anthropic_version`
 * and the betas (`anthropic_beta`, from the caller's `anthropic-beta` header) in the body, only
 * those on its list (bedrock-betas.ts: the router leaves out, and names, any other); a stream's
 * events arrive base64 in event-stream chunks and leave as Anthropic's own SSE events.
 */
export function createBedrockAnthropicProvider(options: BedrockOptions): Provider {
  const { send, readJson } = bedrockCalls(options);

  /** The body Bedrock takes: no `model` (in the URL) nor `stream` (in the action). */
  function invokeBody(call: ProviderCall): JsonObject {
    const { model: _inTheUrl, stream: _inTheAction, ...rest } = call.body;
    const betas = (call.native?.headers["anthropic-beta"] ?? "")
      .split(",")
      .map((beta) => beta.trim())
      .filter(Boolean);
    return {
      ...rest,
      anthropic_version: BEDROCK_VERSION,
      ...(betas.length > 0 ? { anthropic_beta: betas } : {}),
    };
  }

  async function messages(call: ProviderCall): Promise<ProviderReply> {
    const model = String(call.body.model);
    const body = JSON.stringify(invokeBody(call));
    const response = await send(call, model, call.stream ? "invoke-with-response-stream" : "invoke", body);
    if (call.stream && response.body)
      return {
        kind: "stream",
        events: new BedrockEvents(options.name, response.body.getReader(), call, "invoke"),
      };
    return { kind: "json", body: await readJson(call, response) };
  }

  /** count_tokens through CountTokens, as the InvokeModel body it would count; the estimate where AWS cannot. */
  function countTokens(call: ProviderCall): Promise<ProviderReply> {
    const model = String(call.body.model);
    return countOrEstimate(options.name, model, call.signal, async () => {
      const body = JSON.stringify({ input: { invokeModel: { body: JSON.stringify(invokeBody(call)) } } });
      return countTokensToMessages(await readJson(call, await send(call, model, "count-tokens", body)));
    });
  }

  async function call(call: ProviderCall): Promise<ProviderReply> {
    // Sent from here, parsed and rebuilt: never the caller's bytes, nor handed to the shadow thread.
    const own: ProviderCall = { ...call, offload: undefined };
    if (call.operation === "messages") return messages(own);
    if (call.operation === "count_tokens") return countTokens(own);
    throw unsupportedOperation(`${upstreamName(options.name)} does not serve ${call.operation}`);
  }

  // `passThrough`: a same-dialect call arrives with the caller's headers (`native`, for the betas);
  // the body is still rebuilt (`rebuildsBody`), and the answer read, as a translating provider's is.
  return {
    name: options.name,
    dialect: "anthropic",
    passThrough: true,
    rebuildsBody: true,
    vendor: "aws.bedrock",
    acceptedBetas: BEDROCK_BETAS,
    call,
  };
}
