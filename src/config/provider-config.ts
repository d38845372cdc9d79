import { z } from "zod";
import { checkCloudProvider, cloudProviderFields } from "./cloud-provider-fields.ts";
import { configUrl } from "./config-url.ts";
import { bool } from "./config-values.ts";
import { notCatchAll } from "./metric-catch-alls.ts";
import { partialTimeouts } from "./timeouts-config.ts";

export const PROVIDER_TYPES = [
  "openai",
  "anthropic",
  "azure",
  "bedrock",
  "gemini",
  "vertex",
  "mock",
] as const;
/** Reserved provider name: any connected worker serving the route's model. */
export const WORKERS_PROVIDER = "workers";

/** One upstream account the routes name. */
export const providerSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_.-]*$/i, "letters, digits, '.', '_' and '-' only")
      .refine((name) => name !== WORKERS_PROVIDER, `"${WORKERS_PROVIDER}" is reserved for connected workers`)
      .superRefine(notCatchAll("provider")),
    type: z.enum(PROVIDER_TYPES),
    /** openai: includes /v1. anthropic: the API root; requests go to {base_url}/v1/messages. */
    base_url: configUrl({ protocol: /^https?$/ }).optional(),
    api_key: z.string().optional(),
    /** Static extra headers sent upstream (from config only, never from clients). */
    headers: z.record(z.string(), z.string()).prefault({}),
    /**
     * openai only: the upstream serves the Responses API itself, so `/v1/responses` calls pass
     * through untranslated. Default: on for api.openai.com, off elsewhere (translated to chat).
     * `true` on another type is refused (`checkResponsesApi`); `false` is what every other type does.
     */
    responses_api: bool().optional(),
    /** anthropic only: the `anthropic-version` header. */
    anthropic_version: z.string().default("2023-06-01"),
    /**
     * anthropic only: what becomes of a conversation's thinking blocks that carry no signature (a
     * chat route's reasoning). `drop`: left out and named, as Claude refuses them. `keep`: sent as
     * they are, to a Messages-compatible server that is no Claude and wants its reasoning back (a
     * chat or Responses caller's reasoning too, as such blocks, and an empty one leading a
     * tool-call turn that has none, as DeepSeek's thinking mode requires; Claude's
     * `redacted_thinking`, which such a server does not take, left out and named). Default: keep for DeepSeek's `/anthropic` (api.deepseek.com), drop elsewhere.
     */
    unsigned_thinking: z.enum(["drop", "keep"]).optional(),
    /**
     * anthropic, and vertex with publisher anthropic: the upstream takes Anthropic's automatic
     * prompt caching (a top-level `cache_control`), which a chat caller's `prompt_cache_key` or
     * top-level `cache_control` is sent as; else both are named as left out. Default: on for
     * Anthropic's own API (no base_url, or api.anthropic.com) and for Vertex AI's (no base_url, or a
     * googleapis.com host); off for any other server (DeepSeek's, Kimi's, a proxy), which may
     * refuse the field. `true` where no such upstream is (Bedrock's InvokeModel answers it 400) is
     * refused (`checkAutomaticCaching`).
     */
    automatic_caching: bool().optional(),
    timeouts: partialTimeouts.optional(),
    ...cloudProviderFields,
    /** Only models of this tenant may route here (a tenant's own upstream account). */
    tenant: z.string().optional(),
  })
  .superRefine(checkCloudProvider)
  .superRefine(checkResponsesApi)
  .superRefine(checkAutomaticCaching);

/**
 * `responses_api: true` on a provider that cannot serve the Responses API natively is refused, not
 * ignored: a Responses caller would read its translated answers as native. `false` says what every
 * such provider does (Responses callers translated through chat), so it is taken.
 */
function checkResponsesApi(
  provider: { type: string; responses_api?: boolean | undefined },
  ctx: z.RefinementCtx,
) {
  if (provider.responses_api !== true || provider.type === "openai") return;
  const message =
    provider.type === "azure"
      ? "only for type openai: an azure provider serves Responses callers through chat; for Azure's own Responses API, a provider of type openai with base_url https://RESOURCE.openai.azure.com/openai/v1 and responses_api: true"
      : "only for type openai";
  ctx.addIssue({ code: "custom", path: ["responses_api"], message });
}

/**
 * `automatic_caching: true` where no Messages upstream of Anthropic's could take it is refused, not
 * ignored: a caller would think its prompt cached. On Bedrock it would reach Anthropic's legacy
 * Bedrock integration (InvokeModel), which answers 400 to a top-level `cache_control`. `false` says
 * what every such provider does, so it is taken.
 */
function checkAutomaticCaching(
  provider: { type: string; publisher?: string | undefined; automatic_caching?: boolean | undefined },
  ctx: z.RefinementCtx,
) {
  if (provider.automatic_caching !== true || takesAutomaticCaching(provider)) return;
  const where = "only for type anthropic, or vertex with publisher: anthropic";
  const message =
    provider.type === "bedrock"
      ? `${where} (Bedrock's InvokeModel, Anthropic's legacy Bedrock integration, answers 400 to a top-level cache_control)`
      : where;
  ctx.addIssue({ code: "custom", path: ["automatic_caching"], message });
}

/** A provider of Anthropic's Messages API that may take its automatic caching: its own, or Claude on Vertex AI. */
const takesAutomaticCaching = (provider: { type: string; publisher?: string | undefined }): boolean =>
  provider.type === "anthropic" || (provider.type === "vertex" && provider.publisher === "anthropic");
