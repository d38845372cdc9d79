import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import packageJson from "../../../package.json" with { type: "json" };
import { loadConfigFile, parseConfig } from "../../config/load-config.ts";
import { RELEASE } from "../../core/build-commit.ts";
import { createGateway } from "../../gateway/create-gateway.ts";
import { silentLogger } from "../../log/logger.ts";
import { recordingGateway } from "../../testing/recording-gateway.ts";
import { waitForValue } from "../../testing/wait-for.ts";

const dir = mkdtempSync(join(tmpdir(), "mindgw-docs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The document as far as its tags and request examples go. */
interface ExampledDoc {
  tags: { name: string; description: string }[];
  paths: Record<
    string,
    { post?: { requestBody?: { content: Record<string, { example?: { model?: string } }> } } }
  >;
}

/** The model the example of the POST at `path` calls. */
const exampleModel = (doc: ExampledDoc, path: string) =>
  doc.paths[path]?.post?.requestBody?.content["application/json"]?.example?.model;

test("the document's examples follow a reload: a model moved to a tenant is named no more, the next public one in its place", async () => {
  const configPath = join(dir, "reloaded.yaml");
  const configWith = (models: string) =>
    writeFileSync(
      configPath,
      `storage: { path: ${join(dir, "reloaded.db")} }\nauth: { bootstrap_admin: false }\ntenants: [{ name: team-a }]\nproviders: [{ name: demo, type: mock }]\nmodels:\n${models}`,
    );
  configWith(
    "  - { name: merger-chat, routes: [{ provider: demo, model: m }] }\n  - { name: public-chat, routes: [{ provider: demo, model: m }] }\n",
  );
  const gateway = await createGateway({
    config: await loadConfigFile(configPath),
    configPath,
    logger: silentLogger,
  });
  try {
    const chatExample = async () => {
      const answer = await gateway.handle(new Request("http://localhost/docs/openapi.json"));
      return exampleModel((await answer.json()) as ExampledDoc, "/v1/chat/completions");
    };
    expect(await chatExample()).toBe("merger-chat");
    configWith(
      "  - { name: merger-chat, tenant: team-a, routes: [{ provider: demo, model: m }] }\n  - { name: public-chat, routes: [{ provider: demo, model: m }] }\n",
    );
    // In force by reload() or by the file's watch, whichever read the edit first.
    await gateway.reload();
    await waitForValue(
      "the example of the reloaded config",
      async () => (await chatExample()) === "public-chat",
    );
    const text = await (await gateway.handle(new Request("http://localhost/docs/openapi.json"))).text();
    expect(text.includes("merger-chat")).toBe(false);
  } finally {
    await gateway.stop();
  }
});

test("a tenant's own model is named nowhere in the document a socket serves without a credential, under an app bound to that tenant too", async () => {
  const gateway = await createGateway({
    config: parseConfig({
      storage: { path: join(dir, "tenant-app.db") },
      auth: { bootstrap_admin: false },
      tenants: [{ name: "team-a" }],
      providers: [{ name: "demo", type: "mock" }],
      models: [
        { name: "acme-secret-merger-model", tenant: "team-a", routes: [{ provider: "demo", model: "m" }] },
        { name: "acme-secret-embed-v2", tenant: "team-a", routes: [{ provider: "demo", model: "m" }] },
        // A glob name: it serves every model its tenant's callers name that it matches.
        { name: "acme-secret-ops-*", tenant: "team-a", routes: [{ provider: "demo", model: "*" }] },
        { name: "public-chat", routes: [{ provider: "demo", model: "m" }] },
      ],
      apps: [
        { name: "team", frontdoor: "openai", path: "/team", tenant: "team-a" },
        // Only the tenant's models: no example of its own to give, OpenAI's names stand in. A name
        // no model is configured under is its tenant's workers' to serve.
        {
          name: "merger",
          frontdoor: "openai",
          path: "/merger",
          models: ["acme-secret-merger-model", "acme-*-v2", "team-a-private-llama"],
          tenant: "team-a",
        },
        // A tenant's model among others, through an app of no tenant: its callers of that tenant reach it.
        {
          name: "mixed",
          frontdoor: "openai",
          path: "/mixed",
          models: ["public-chat", "acme-secret-merger-model", "acme-secret-ops-merger", "gpt-*"],
        },
      ],
    }),
    logger: silentLogger,
  });
  try {
    const { port } = gateway.listen("127.0.0.1", 0);
    const answer = await fetch(`http://127.0.0.1:${port}/docs/openapi.json`);
    expect(answer.status).toBe(200);
    const text = await answer.text();
    expect(text).not.toContain("acme-secret");
    expect(text).not.toContain("team-a-private");
    const doc = JSON.parse(text) as ExampledDoc;
    expect(exampleModel(doc, "/team/v1/chat/completions")).toBe("public-chat");
    expect(exampleModel(doc, "/merger/v1/chat/completions")).toBe("gpt-4o-mini");
    expect(exampleModel(doc, "/merger/v1/embeddings")).toBe("text-embedding-3-small");
    // An app's allow-list is told without them.
    const tag = (name: string) => doc.tags.find((t) => t.name === name)?.description;
    expect(tag("merger")).toEndWith(
      "; only tenant models, not named here, only for members of tenant `team-a`.",
    );
    expect(tag("mixed")).toEndWith(
      "; only the models `public-chat`, `gpt-*` and tenant models not named here.",
    );
  } finally {
    await gateway.stop();
  }
});

test("/docs, its document and its assets carry the console's kind of headers: a CSP with no inline script and no framing, nosniff", async () => {
  const gateway = await createGateway({
    config: parseConfig({
      storage: { path: join(dir, "headers.db") },
      auth: { bootstrap_admin: false },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
    logger: silentLogger,
  });
  try {
    const page = await gateway.handle(new Request("http://localhost/docs"));
    const html = await page.text();
    // The initialiser is a script of its own: the policy allows no inline script.
    expect(html).not.toMatch(/<script>/);
    expect(html).toContain('<script src="/docs/swagger-init.js"></script>');
    for (const path of [
      "/docs",
      "/docs/openapi.json",
      "/docs/swagger-init.js",
      "/docs/swagger-ui-bundle.js",
    ]) {
      const answer = await gateway.handle(new Request(`http://localhost${path}`));
      expect(answer.status).toBe(200);
      const csp = answer.headers.get("content-security-policy") ?? "";
      expect({
        path,
        scripts: csp.match(/script-src [^;]*/)?.[0],
        frames: csp.match(/frame-ancestors [^;]*/)?.[0],
      }).toEqual({
        path,
        scripts: "script-src 'self'",
        frames: "frame-ancestors 'none'",
      });
      expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
      expect(answer.headers.get("x-frame-options")).toBe("DENY");
      expect(answer.headers.get("referrer-policy")).toBe("no-referrer");
      await answer.arrayBuffer();
    }
    const init = await (await gateway.handle(new Request("http://localhost/docs/swagger-init.js"))).text();
    expect(init).toContain('url: "/docs/openapi.json"');
  } finally {
    await gateway.stop();
  }
});

test("the document's info.version is the package's version, never the build it came from: the document is public, the build an admin's to read", async () => {
  const { gateway, adminKey } = await recordingGateway(
    parseConfig({ storage: { path: ":memory:" }, providers: [{ name: "demo", type: "mock" }] }),
  );
  try {
    const doc = (await (await gateway.handle(new Request("http://localhost/docs/openapi.json"))).json()) as {
      info: { version: string };
    };
    const status = (await (
      await gateway.handle(
        new Request("http://localhost/admin/api/status", {
          headers: { authorization: `Bearer ${adminKey}` },
        }),
      )
    ).json()) as { release: string };
    expect(status.release).toBe(RELEASE);
    expect(doc.info.version).toBe(packageJson.version);
    expect(RELEASE.startsWith(`${packageJson.version}+`)).toBe(true);
    expect(JSON.stringify(doc)).not.toContain(RELEASE);
  } finally {
    await gateway.stop();
  }
});
