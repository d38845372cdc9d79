import type { Operation } from "../../core/dialect.ts";

/** A deployment's URL for one operation's path (`/chat/completions`). */
export type AzureUrl = (path: string, deployment: string) => string;

/**
 * Azure OpenAI URLs. With a dated `api_version` the model a route names is the *deployment*:
 * `{base}/openai/deployments/{deployment}/chat/completions?api-version=…`. With
 * `api_version: v1` (Azure's versionless v1 API, Azure AI Foundry) the path is OpenAI's own
 * under `{base}/openai/v1` and the deployment travels as `model` in the body; `api_version:
 * preview` is that API's preview, the same paths with `?api-version=preview` (Azure's v1 docs:
 * `/openai/v1/responses?api-version=preview`), not a dated version. A base given as
 * Azure's v1 docs give it to the OpenAI SDK (`…/openai/v1/`), or ending in `/openai`, is read as
 * its resource endpoint: its tail is the gateway's to add, never twice. The base and version are
 * read once, when the provider is made; a request only joins its path and deployment.
 */
export function azureUrls(base: string, apiVersion: string): AzureUrl {
  const root = base.replace(/\/+$/, "").replace(/\/openai(?:\/v1)?$/, "");
  if (apiVersion === "v1") return (path) => `${root}/openai/v1${path}`;
  if (apiVersion === "preview") return (path) => `${root}/openai/v1${path}?api-version=preview`;
  const query = new URLSearchParams({ "api-version": apiVersion }).toString();
  return (path, deployment) => `${root}/openai/deployments/${encodeURIComponent(deployment)}${path}?${query}`;
}

export const AZURE_PATHS: Partial<Record<Operation, string>> = {
  chat: "/chat/completions",
  completions: "/completions",
  embeddings: "/embeddings",
  responses: "/responses",
};
