import { presetOf } from "../providers/openai-compatible/presets.ts";

/**
 * A provider as the catalogue tells it: its type, and for an OpenAI-compatible one its preset,
 * or the host its `base_url` names (a `type: openai` provider on api.mistral.ai is Mistral's).
 */
export type ProviderKind = { type: string; preset?: string | undefined; base_url?: string | undefined };

/** The catalogue's provider for a configured provider (its type, and its preset as the router has it). */
export function catalogueProviderId(provider: ProviderKind): string | undefined {
  switch (provider.type) {
    case "openai": {
      const preset = provider.preset ?? presetOf({ base_url: provider.base_url });
      return preset === undefined ? "openai" : PRESET_PROVIDER[preset];
    }
    case "anthropic":
      return "anthropic";
    case "azure":
      return "azure";
    case "bedrock":
      return "aws";
    case "gemini":
    case "vertex":
      return "google";
    default:
      return undefined;
  }
}

// Self-hosted presets (ollama, vllm, llama.cpp, tgi) run models nobody bills for: no catalogue.
const PRESET_PROVIDER: Record<string, string> = {
  openrouter: "openrouter",
  groq: "groq",
  together: "together",
  mistral: "mistral",
  deepseek: "deepseek",
  xai: "x-ai",
  fireworks: "fireworks",
};
