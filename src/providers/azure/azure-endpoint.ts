import type { Operation } from "../../core/dialect.ts";

/**
 * Azure OpenAI URLs. With a dated `api_version` the model a route names is the *deployment*:
 * `{base}/openai/deployments/{deployment}/chat/completions?api-version=…`. With
 * `api_version: v1` (Azure's versionless v1 API, Azure AI Foundry) the path is OpenAI's own
 * under `{base}/openai/v1` and the deployment travels as `model` in the body. A base given as
 * Azure's v1 docs give it to the OpenAI SDK (`…/openai/v1/`), or ending in `/openai`, is read as
 * its resource endpoint: its tail is the gateway's to add, never twice.
 */
export function azureUrl(base: string, apiVersion: string, path: string, deployment: string): string {
  const root = base.replace(/\/+$/, "").replace(/\/openai(?:\/v1)?$/, "");
  if (apiVersion === "v1") return `${root}/openai/v1${path}`;
  const query = new URLSearchParams({ "api-version": apiVersion });
  return `${root}/openai/deployments/${encodeURIComponent(deployment)}${path}?${query}`;
}

export const AZURE_PATHS: Partial<Record<Operation, string>> = {
  chat: "/chat/completions",
  completions: "/completions",
  embeddings: "/embeddings",
  responses: "/responses",
};
