import { describe, expect, test } from "bun:test";
import { azureUrls } from "./azure-endpoint.ts";

const azureUrl = (base: string, apiVersion: string, path: string, deployment: string) =>
  azureUrls(base, apiVersion)(path, deployment);

describe("Azure OpenAI URLs", () => {
  test("a dated api_version routes by deployment; v1 takes OpenAI's paths under /openai/v1", () => {
    expect(azureUrl("https://r.openai.azure.com/", "2024-10-21", "/chat/completions", "gpt 4o")).toBe(
      "https://r.openai.azure.com/openai/deployments/gpt%204o/chat/completions?api-version=2024-10-21",
    );
    expect(azureUrl("https://r.openai.azure.com", "v1", "/embeddings", "e")).toBe(
      "https://r.openai.azure.com/openai/v1/embeddings",
    );
  });

  test("api_version: preview is the v1 API's preview: the v1 paths with ?api-version=preview, no deployment in the URL", () => {
    expect(azureUrl("https://r.openai.azure.com/openai/v1/", "preview", "/responses", "d")).toBe(
      "https://r.openai.azure.com/openai/v1/responses?api-version=preview",
    );
  });

  test("a base_url that already ends in /openai/v1/ (as Azure's v1 docs give it the OpenAI SDK) or /openai is not doubled", () => {
    for (const base of [
      "https://r.openai.azure.com/openai/v1/",
      "https://r.openai.azure.com/openai/v1",
      "https://r.openai.azure.com/openai",
    ]) {
      expect(azureUrl(base, "v1", "/chat/completions", "m")).toBe(
        "https://r.openai.azure.com/openai/v1/chat/completions",
      );
      expect(azureUrl(base, "2024-10-21", "/chat/completions", "d")).toBe(
        "https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21",
      );
    }
  });
});
