import { describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import OpenAI from "openai";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import {
  createKey,
  type FakeProcess,
  spawnFakeUpstream,
  spawnWorker,
  type WorkerProcess,
  waitForWorkers,
} from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

// A gateway restart (SIGTERM, then a new process on the same port and database): the workers
// notice the lost connection, reconnect with backoff and register again, all by themselves.
const fakes: FakeProcess[] = [];
const fx = gatewayFixture<FakeProcess>({
  fake: () => spawnFakeUpstream(),
  fakeRoutes: false,
  config: async (_fakeUrl, { fake, own }) => {
    fakes.push(fake, own(await spawnFakeUpstream()));
    return {};
  },
});

async function ask(gw: GatewayProcess, key: string, text: string): Promise<string | null | undefined> {
  const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const reply = await client.chat.completions.create({
    model: "fake-model",
    messages: [{ role: "user", content: text }],
  });
  return reply.choices[0]?.message.content;
}

describe("workers: gateway restart", () => {
  test("after SIGTERM and a restart on the same port, both workers come back and serve", async () => {
    const first = fx.gw;
    const adminKey = first.adminKey ?? "";
    const workerKey = await createKey(first.url, adminKey, { name: "fleet", role: "worker", models: ["*"] });
    const workers: WorkerProcess[] = fakes.map((fake, i) =>
      spawnWorker({
        gateway: first.url,
        token: workerKey,
        upstream: `${fake.url}/v1`,
        name: `w${i}`,
        models: ["fake-model"],
      }),
    );
    for (const worker of workers) fx.defer(() => worker.stop("SIGKILL"));
    await waitForWorkers(first.url, adminKey, ["w0", "w1"]);
    expect(await ask(first, adminKey, "before restart")).toBe("echo: before restart");

    expect(await first.stop("SIGTERM")).toBe(0);
    // A stop of the gateway's own: each worker is told and logged as disconnected, at info; none
    // is "lost" (it was a warning, the listener's cut: 1001 Server closed).
    expect(first.stderr.all.match(/info worker disconnected: the gateway is stopping/g)).toHaveLength(2);
    expect(first.stderr.all).not.toContain("worker lost");
    // Same directory (database, keys) and port: the fixture's restart.
    const second = await fx.restart({ port: first.port });
    expect(second.url).toBe(first.url);
    // The keys live in the database, so the same worker key is accepted again.
    await waitForWorkers(second.url, adminKey, ["w0", "w1"], 30_000);
    expect(await ask(second, adminKey, "after restart")).toBe("echo: after restart");
    for (const worker of workers) {
      expect(worker.proc.exitCode).toBeNull();
      expect(worker.stderr.all).toContain("reconnecting");
    }
    for (const worker of workers) expect(await worker.stop("SIGTERM")).toBe(0);
  }, 60_000);
});

// Two gateways that trust the same worker token (an HS256 JWT), so one worker can be given both.
const JWT = {
  secret: "a-secret-both-gateways-share-0123456789",
  issuer: "https://idp.test",
  audience: "mindgw",
};
const HEARTBEAT_TIMEOUT_MS = 3_000;
const frozenConfig = {
  auth: { jwt: { ...JWT, algorithms: ["HS256"], default_role: "worker" } },
  workers: { heartbeat_timeout: `${HEARTBEAT_TIMEOUT_MS}ms` },
};
const workerJwt = () =>
  new SignJWT({})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject("frozen-test")
    .setIssuer(JWT.issuer)
    .setAudience(JWT.audience)
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(JWT.secret));

describe("workers: a gateway that freezes", () => {
  test("a worker given two gateways drops the frozen one's connection, cancels its call and registers on the other", async () => {
    const a = await fx.spawn({ config: frozenConfig });
    const b = await fx.spawn({ config: frozenConfig });
    // Woken before the fixture kills it, whatever happened.
    fx.deferTest(() => a.proc.kill("SIGCONT"));
    const fake = fakes[0] as FakeProcess;
    const worker = spawnWorker({
      gateway: `${a.url},${b.url}`,
      token: await workerJwt(),
      upstream: `${fake.url}/v1`,
      name: "frozen-w",
      models: ["fake-model"],
    });
    fx.deferTest(() => worker.stop("SIGKILL"));
    await waitForWorkers(a.url, a.adminKey ?? "", ["frozen-w"]);

    // A call under way through the first gateway, its upstream answer never coming.
    const client = new AbortController();
    fx.deferTest(() => client.abort());
    void fetch(`${a.url}/v1/chat/completions`, {
      method: "POST",
      headers: bearer(a.adminKey ?? ""),
      body: chatBody("fake-model", "frozen [[fake:hang]]", { stream: true }),
      signal: client.signal,
    }).catch(() => {});
    const upstreamCall = async () =>
      (await fake.requests()).find((r) => JSON.stringify(r.body).includes("frozen"));
    await waitFor("the call to reach the upstream", upstreamCall);

    a.proc.kill("SIGSTOP");
    // Silence is noticed after the heartbeat timeout (and a heartbeat's check), the next
    // gateway dialled after a short backoff: well inside this bound, where waiting on the
    // frozen gateway's close handshake took ~35 s.
    const onB = await waitForWorkers(b.url, b.adminKey ?? "", ["frozen-w"], HEARTBEAT_TIMEOUT_MS + 12_000);
    expect(onB[0]?.models).toEqual(["fake-model"]);
    await waitFor(
      "the upstream call to be aborted",
      async () => (await upstreamCall())?.outcome === "aborted",
    );
    expect(worker.stderr.all.split("the gateway stopped answering").length - 1).toBe(1);
    expect(worker.proc.exitCode).toBeNull();
  }, 60_000);
});
