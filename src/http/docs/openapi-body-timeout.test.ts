import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../config/load-config.ts";
import { recordingGateway } from "../../testing/recording-gateway.ts";

// A model call whose body does not arrive within `server.body_timeout` is a 408 (read-json-body.ts),
// on every client route that takes a body: each lists it in the OpenAPI document.

const dir = mkdtempSync(join(tmpdir(), "mindgw-openapi-body-timeout-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Document {
  paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
}

test("a model call's body past server.body_timeout is a 408 every client route that takes a body lists", async () => {
  const { gateway, adminKey } = await recordingGateway(
    parseConfig({
      storage: { path: join(dir, "gw.db") },
      server: { body_timeout: "200ms" },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
  );
  try {
    const doc = (await (
      await gateway.handle(new Request("http://localhost/docs/openapi.json"))
    ).json()) as Document;
    const calls = Object.entries(doc.paths).flatMap(([path, methods]) =>
      path.startsWith("/v1/") && methods.post?.requestBody ? [{ path, operation: methods.post }] : [],
    );
    expect(calls.length).toBeGreaterThan(6);
    const answers = await Promise.all(
      calls.map(async ({ path, operation }) => {
        const controllers: ReadableStreamDefaultController<Uint8Array>[] = [];
        const answer = await gateway.handle(
          new Request(`http://localhost${path}`, {
            method: "POST",
            headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
            body: new ReadableStream<Uint8Array>({
              start: (controller) => {
                controllers.push(controller);
              },
            }),
          }),
        );
        await answer.body?.cancel();
        for (const controller of controllers) controller.close();
        return {
          path,
          status: answer.status,
          listed: operation.responses[String(answer.status)] !== undefined,
        };
      }),
    );
    expect(answers.filter(({ status }) => status !== 408)).toEqual([]);
    expect(answers.filter(({ listed }) => !listed).map(({ path }) => path)).toEqual([]);
  } finally {
    await gateway.stop();
  }
});
