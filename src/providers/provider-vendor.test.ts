import { expect, test } from "bun:test";
import type { ProviderConfig } from "../config/config-schema.ts";
import { createProvider } from "./create-provider.ts";
import { vendorOf } from "./provider.ts";

// `gen_ai.provider.name` on an attempt's span is the provider's vendor as the OpenTelemetry GenAI
// conventions list it (gen-ai registry: `aws.bedrock`, `azure.ai.openai`, `gcp.gemini`,
// `gcp.vertex_ai`, `groq`, `mistral_ai`, `deepseek`, `x_ai`), else the dialect it speaks.
const vendorFor = (config: Record<string, unknown>) =>
  vendorOf(createProvider({ name: "p", ...config } as ProviderConfig, { maxSseLine: 1 << 20 }));

test.each([
  [{ type: "openai" }, "openai"],
  [{ type: "openai", base_url: "http://127.0.0.1:8000/v1" }, "openai"],
  [{ type: "openai", preset: "groq" }, "groq"],
  [{ type: "openai", preset: "mistral" }, "mistral_ai"],
  [{ type: "openai", preset: "deepseek" }, "deepseek"],
  [{ type: "openai", preset: "xai" }, "x_ai"],
  [{ type: "openai", preset: "vllm" }, "openai"],
  [{ type: "openai", preset: "openrouter" }, "openai"],
  [{ type: "anthropic" }, "anthropic"],
  [{ type: "azure", base_url: "https://x.openai.azure.com", api_key: "k" }, "azure.ai.openai"],
  [{ type: "bedrock", region: "eu-west-1" }, "aws.bedrock"],
  [{ type: "gemini", api_key: "k" }, "gcp.gemini"],
  [{ type: "vertex", project: "p", service_account: "/nonexistent.json" }, "gcp.vertex_ai"],
])("%o is %s", (config, vendor) => {
  expect(vendorFor(config)).toBe(vendor);
});
