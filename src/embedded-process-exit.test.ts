import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { childEnv } from "./testing/off-cloud-env.ts";
import { startFakeUpstream } from "./workers/testing/fake-upstream.ts";

// An embedder's program that builds a gateway, serves one request through it and stops it must end
// on its own: every timer, socket and thread the gateway opened (the SQLite audit thread, the
// listener, the upstream's connections, the shadow copies' thread, a webhook sink's pump) ended by
// `stop()`, nothing left to
// hold the event loop. Run as its own `bun` process, killed past its deadline.

const dir = mkdtempSync(join(tmpdir(), "mindgw-exit-"));
const upstream = startFakeUpstream(["llama-small"]);
const hooks = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("ok") });
afterAll(async () => {
  upstream.stop();
  await hooks.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

const ROOT = resolve(import.meta.dir, "..");

test("a program that embeds the gateway, serves one request and stops it exits on its own", async () => {
  const program = join(dir, "embedder.ts");
  writeFileSync(
    program,
    `import { createGateway, parseConfig } from ${JSON.stringify(join(ROOT, "src/index.ts"))};
let key = "";
const gateway = await createGateway({
  config: parseConfig({
    storage: { path: ${JSON.stringify(join(dir, "gateway.db"))} },
    log: { level: "warn" },
    providers: [{ name: "up", type: "openai", base_url: ${JSON.stringify(`${upstream.url}/v1`)}, api_key: "sk-test" }],
    models: [{
      name: "llama-small",
      routes: [{ provider: "up", model: "llama-small" }],
      shadow: { provider: "up", model: "llama-small", sample: 1 },
    }],
    events: { webhooks: [{ url: ${JSON.stringify(`http://127.0.0.1:${hooks.port}/hook`)}, secret: "0123456789abcdef" }] },
  }),
  onBootstrapKey: (plain) => { key = plain; },
});
const { port } = gateway.listen("127.0.0.1", 0);
for (const stream of [false, true]) {
  const answer = await fetch(\`http://127.0.0.1:\${port}/v1/chat/completions\`, {
    method: "POST",
    headers: { authorization: \`Bearer \${key}\`, "content-type": "application/json" },
    body: JSON.stringify({ model: "llama-small", stream, messages: [{ role: "user", content: "hi" }] }),
  });
  console.log("answered", answer.status, (await answer.text()).length > 0);
}
await gateway.stop();
console.log("stopped");
`,
  );
  const started = performance.now();
  const child = Bun.spawn([process.execPath, program], {
    cwd: dir,
    env: childEnv(),
    stdout: "pipe",
    stderr: "pipe",
    // The deadline: a process still running past it is killed, and the test fails.
    timeout: 30_000,
  });
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  expect({ out, code, signal: child.signalCode, err: code === 0 ? "" : err }).toEqual({
    out: "answered 200 true\nanswered 200 true\nstopped\n",
    code: 0,
    signal: null,
    err: "",
  });
  expect(performance.now() - started).toBeLessThan(30_000);
}, 40_000);
