// temporary manual demo (deleted before hand-off)
import { runTail } from "./run-tail.ts";
import { FakeGateway } from "./testing/fake-gateway.ts";
import { finishedEvent, worker } from "./testing/fixtures.ts";

const rate = Number(process.env.RATE ?? 20);
const gateway = new FakeGateway().start();
gateway.workers = [
  worker({ name: "gpu-east-1", lastHeartbeatAt: Date.now() }),
  worker({
    id: "w2",
    name: "gpu-west-2",
    models: ["llama-3-70b", "qwen"],
    lastHeartbeatAt: Date.now() - 20000,
  }),
];
let i = 0;
const models = ["gpt-4o", "gpt-4o-mini", "llama-3-8b", "claude-sonnet"];
const keys = ["alice", "bob", "carol", "ci-bot"];
const statuses = [200, 200, 200, 200, 200, 200, 429, 502, 200, 201];
setInterval(() => {
  const n = Math.max(1, Math.round(rate / 10));
  for (let k = 0; k < n; k++) {
    i++;
    const status = statuses[i % statuses.length] ?? 200;
    gateway.send({
      type: "request.started",
      at: Date.now(),
      requestId: `req_${i}x`,
      keyName: keys[i % 4] ?? null,
      model: models[i % 4] ?? null,
      frontDoor: "chat",
      stream: true,
    });
    gateway.send(
      finishedEvent(
        {
          requestId: `req_${i}`,
          startedAt: Date.now(),
          keyName: keys[i % 4] ?? null,
          model: models[(i * 7) % 4] ?? null,
          status,
          route: i % 3 ? "provider:openai" : "worker:gpu-east-1",
          latencyMs: 50 + (i % 97) * 13,
          ttfbMs: 20 + (i % 31),
          inputTokens: i % 500,
          outputTokens: (i * 13) % 2000,
        },
        Date.now(),
      ),
    );
  }
}, 100);
if (process.env.RESTART)
  setTimeout(async () => {
    await gateway.stop();
    setTimeout(() => gateway.start(), 4000);
  }, 3000);
const code = await runTail({
  gateway: gateway.url,
  adminKey: gateway.adminKey,
  json: process.env.JSON === "1",
  ...(process.env.STATUS ? { status: process.env.STATUS } : {}),
});
await gateway.stop();
process.exit(code);
