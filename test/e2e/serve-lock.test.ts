import { expect, setDefaultTimeout, test } from "bun:test";
import { quotedSpan } from "../docs/doc-blocks.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";

// Real processes on a shared 2-core machine: generous bounds, every wait bounded on its own.
setDefaultTimeout(60_000);

// One `serve` per SQLite file (docs/DEPLOYMENT.md): a second refuses, naming the first; the CLI
// still reads and writes keys beside it; a kill -9'd gateway's hold does not outlive it.
const fx = gatewayFixture({
  fake: null,
  gateway: false,
  config: { providers: [{ name: "mock", type: "mock" }] },
});

const serveAgain = (configPath: string) =>
  runMindgw(["serve", "-c", configPath, "--host", "127.0.0.1", "--port", "0"], { timeoutMs: 30_000 });

test("a second serve on the same database refuses to start, naming the first's pid; the CLI works beside the first", async () => {
  const first = await fx.spawn({ config: { providers: [{ name: "mock", type: "mock" }] } });
  const second = await serveAgain(first.configPath);
  expect(second.code).toBe(1);
  expect(second.stderr).toContain(
    `storage.path ${first.dir}/mindgw.db is in use by another mindgw serve (pid ${first.proc.pid}, serving since `,
  );
  expect(second.stdout).not.toContain("serving on");
  // As docs/DEPLOYMENT.md quotes it, its path and pid this test's: the line up to its "…". Before,
  // the quote began `mindgw: storage.path`, the CLI's prefix, where serve writes a log line.
  const quoted = quotedSpan("docs/DEPLOYMENT.md", "is in use by another mindgw serve (pid");
  const said = (quoted.split("…")[0] ?? "")
    .trimEnd()
    .replace("/var/lib/mindgw/mindgw.db", `${first.dir}/mindgw.db`)
    .replace("4242", String(first.proc.pid));
  expect(second.stderr).toContain(` error ${said}`);
  // Read-only reports and key changes go on beside the running gateway (its documented use).
  const created = await runMindgw(["keys", "create", "--name", "beside", "--json", "-c", first.configPath]);
  expect(created.code).toBe(0);
  const listed = await runMindgw(["keys", "list", "-c", first.configPath]);
  expect(listed.code).toBe(0);
  expect(listed.stdout).toContain("beside");
  const audit = await runMindgw(["audit", "query", "--json", "-c", first.configPath]);
  expect(audit.code).toBe(0);
  // The first is still serving, with the key made beside it.
  const key = (JSON.parse(created.stdout) as { key: string }).key;
  const models = await fetch(`${first.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
  expect(models.status).toBe(200);
});

test("a gateway killed with SIGKILL leaves no hold behind: the next serve on its database starts", async () => {
  const first = await fx.spawn({ config: { providers: [{ name: "mock", type: "mock" }] } });
  expect(await first.stop("SIGKILL")).not.toBe(0);
  const next = await fx.spawn({ dir: first.dir });
  expect((await fetch(`${next.url}/readyz`)).status).toBe(200);
  // And it holds the file in turn.
  const refused = await serveAgain(next.configPath);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(`in use by another mindgw serve (pid ${next.proc.pid}`);
});
