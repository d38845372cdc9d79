import { describe, expect, test } from "bun:test";
import { parseConfig } from "../../config/load-config.ts";
import { openApiDocument } from "./openapi-document.ts";
import { servedSurfaceOf } from "./served-surface.ts";
import { misexampled, type OpenApiDoc } from "./testing/openapi-doc-kit.ts";

// The OpenAPI document's request examples name the models the config serves, and still meet
// their schemas (openapi-document.test.ts checks the rest of the document against the server).

describe("the OpenAPI document's examples call the models the config serves", () => {
  const routes = (model: string) => [{ provider: "p", model }];
  const documentOf = (config: Record<string, unknown>) =>
    openApiDocument(
      "0.0.0-test",
      servedSurfaceOf(
        parseConfig({
          providers: [{ name: "p", type: "openai", base_url: "http://127.0.0.1:1/v1" }],
          ...config,
        }),
      ),
    ) as unknown as OpenApiDoc;
  const exampleOf = (doc: OpenApiDoc, path: string) =>
    doc.paths[path]?.post?.requestBody?.content["application/json"]?.example as
      | { model?: string }
      | undefined;

  test("the first chat model for every call but embeddings, the first embedding model for those; no glob", () => {
    const doc = documentOf({
      models: [
        { name: "team-*", routes: routes("*") },
        { name: "vectors", routes: routes("text-embedding-3-large") },
        { name: "assistant", routes: routes("llama-3.1-8b") },
      ],
    });
    for (const path of [
      "/v1/chat/completions",
      "/v1/completions",
      "/v1/responses",
      "/v1/messages",
      "/v1/messages/count_tokens",
    ])
      expect([path, exampleOf(doc, path)?.model]).toEqual([path, "assistant"]);
    expect(exampleOf(doc, "/v1/embeddings")?.model).toBe("vectors");
    expect(misexampled(doc)).toEqual([]);
  });

  test("an app's examples call a model it allows; a kind none is configured of keeps the generic example", () => {
    const doc = documentOf({
      models: [
        { name: "assistant", routes: routes("llama-3.1-8b") },
        { name: "team-chat", routes: routes("llama-3.1-70b") },
      ],
      apps: [{ name: "team", frontdoor: "openai", path: "/team", models: ["team-chat"] }],
    });
    expect(exampleOf(doc, "/team/v1/chat/completions")?.model).toBe("team-chat");
    expect(exampleOf(doc, "/team/v1/embeddings")?.model).toBe("text-embedding-3-small");
  });

  test("an app whose allow-list is globs (or an alias) calls a configured model they match, not the generic name", () => {
    const doc = documentOf({
      models: [
        { name: "assistant", routes: routes("llama-3.1-8b") },
        { name: "text-embedding-3-large", routes: routes("text-embedding-3-large") },
        { name: "gpt-4o-2024-08-06", routes: routes("gpt-4o-2024-08-06") },
        { name: "claude-opus-house", routes: routes("claude-opus-4-1") },
        { name: "house-chat", aliases: ["house-chat-2025"], routes: routes("m") },
      ],
      apps: [
        { name: "oa", frontdoor: "openai", path: "/oa", models: ["gpt-4o*", "claude-*"] },
        { name: "an", frontdoor: "anthropic", path: "/an", models: ["claude-*"] },
        { name: "vec", frontdoor: "openai", path: "/vec", models: ["text-embedding-*"] },
        { name: "alias", frontdoor: "openai", path: "/alias", models: ["house-chat-2025"] },
      ],
    });
    expect(exampleOf(doc, "/oa/v1/chat/completions")?.model).toBe("gpt-4o-2024-08-06");
    expect(exampleOf(doc, "/an/v1/messages")?.model).toBe("claude-opus-house");
    expect(exampleOf(doc, "/vec/v1/embeddings")?.model).toBe("text-embedding-3-large");
    expect(exampleOf(doc, "/alias/v1/chat/completions")?.model).toBe("house-chat-2025");
    // Nothing configured the globs match: the generic example stays.
    expect(exampleOf(doc, "/oa/v1/embeddings")?.model).toBe("text-embedding-3-small");
    expect(misexampled(doc)).toEqual([]);
  });

  test("a tenant's own model is named nowhere in the document, which anyone may read, under an app of that tenant too", () => {
    const tenantOnly = {
      tenants: [{ name: "team-a" }],
      models: [
        { name: "acme-secret-merger-model", tenant: "team-a", routes: routes("m1") },
        { name: "acme-secret-embed-v2", tenant: "team-a", routes: routes("m2") },
        { name: "public-chat", routes: routes("m3") },
      ],
    };
    const doc = documentOf(tenantOnly);
    // Every model the document names, anywhere in it.
    const named = [...JSON.stringify(doc).matchAll(/"model":"([^"]*)"/g)].map((match) => match[1]);
    expect(named.filter((name) => name?.startsWith("acme-secret"))).toEqual([]);
    expect(exampleOf(doc, "/v1/chat/completions")?.model).toBe("public-chat");
    expect(exampleOf(doc, "/v1/embeddings")?.model).toBe("text-embedding-3-small");
    const withApps = documentOf({
      ...tenantOnly,
      apps: [
        { name: "open", frontdoor: "openai", path: "/open", models: ["*"] },
        { name: "team", frontdoor: "openai", path: "/team", models: ["*"], tenant: "team-a" },
      ],
    });
    expect(exampleOf(withApps, "/open/v1/chat/completions")?.model).toBe("public-chat");
    expect(exampleOf(withApps, "/open/v1/embeddings")?.model).toBe("text-embedding-3-small");
    // The app's callers are the tenant's; the document's readers are anyone.
    expect(exampleOf(withApps, "/team/v1/chat/completions")?.model).toBe("public-chat");
    expect(exampleOf(withApps, "/team/v1/embeddings")?.model).toBe("text-embedding-3-small");
    expect(JSON.stringify(withApps)).not.toContain("acme-secret");
  });

  test("an app's description names no entry a tenant's model serves under a glob name, none but those of no tenant under an app of a tenant, and says an empty allow-list allows no models", () => {
    const doc = documentOf({
      tenants: [{ name: "team-a" }],
      models: [
        { name: "acme-*", tenant: "team-a", routes: routes("*") },
        { name: "public-chat", routes: routes("m") },
      ],
      apps: [
        // `acme-*`, the tenant's, serves it.
        { name: "merger", frontdoor: "openai", path: "/merger", models: ["acme-secret-merger-model"] },
        // No model configured: the tenant's workers serve it, if any do.
        {
          name: "fleet",
          frontdoor: "openai",
          path: "/fleet",
          models: ["public-chat", "team-a-private-llama"],
          tenant: "team-a",
        },
        // Under an app of no tenant, a name no tenant's model serves is told as before.
        { name: "open", frontdoor: "openai", path: "/open", models: ["public-chat", "gpt-*"] },
        { name: "none", frontdoor: "openai", path: "/none", models: [] },
      ],
    }) as unknown as OpenApiDoc & { tags: { name: string; description: string }[] };
    const text = JSON.stringify(doc);
    expect(text).not.toContain("acme-secret");
    expect(text).not.toContain("team-a-private");
    const tag = (name: string) => doc.tags.find((t) => t.name === name)?.description;
    expect(tag("merger")).toEndWith("; only tenant models, not named here.");
    expect(tag("fleet")).toEndWith(
      "; only the models `public-chat` and tenant models not named here, only for members of tenant `team-a`.",
    );
    expect(tag("open")).toEndWith("; only the models `public-chat`, `gpt-*`.");
    expect(tag("none")).toEndWith("; no models.");
  });
});
