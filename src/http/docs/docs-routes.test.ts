import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfigFile } from "../../config/load-config.ts";
import { createGateway } from "../../gateway/create-gateway.ts";
import { silentLogger } from "../../log/logger.ts";
import { waitForValue } from "../../testing/wait-for.ts";

const dir = mkdtempSync(join(tmpdir(), "mindgw-docs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
      const doc = (await answer.json()) as {
        paths: Record<
          string,
          { post?: { requestBody?: { content: Record<string, { example?: { model?: string } }> } } }
        >;
      };
      return doc.paths["/v1/chat/completions"]?.post?.requestBody?.content["application/json"]?.example
        ?.model;
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
