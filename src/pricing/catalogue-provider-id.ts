/** A provider as the catalogue tells it: its type, and its preset for an OpenAI-compatible one. */
export type ProviderKind = { type: string; preset?: string | undefined };

/** The catalogue's provider for a provider type (and OpenAI-compatible preset). */
export function catalogueProviderId(type: string, preset?: string): string | undefined {
  switch (type) {
    case "openai":
      return preset === undefined ? "openai" : PRESET_PROVIDER[preset];
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
