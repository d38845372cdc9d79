import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { ResponsesWS } from "openai/resources/responses/ws";
import type { FakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { auditRecords, auditRow, createKey } from "./harness/admin-api.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import { openaiFailure } from "./harness/sdk-failure.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { requestIdOf, spawnTail, untilListening } from "./harness/spawn-tail.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(30_000);

// Apps: front doors mounted under path prefixes, driven by both official SDKs with baseURL at
// the prefix; the root and unknown prefixes answer a 404 that says where the APIs are.

let fake: FakeUpstream;
let gw: GatewayProcess;
let admin = "";
const dir = tempDir();

const fx = gatewayFixture({
  dir: dir.path,
  fakeRoutes: false,
  config: (_fakeUrl, ctx) => {
    fake = ctx.fake;
    return config();
  },
});

beforeAll(async () => {
  ({ fake, gw } = fx);
  admin = gw.adminKey ?? "";
}, 30_000);

const config = () => ({
  // JSON lines: the access lines are read back as objects.
  log: { format: "json" },
  providers: [{ name: "fake", type: "openai", base_url: `${fake.url}/v1` }],
  models: [
    { name: "m1", routes: [{ provider: "fake", model: "m1" }] },
    { name: "m2", routes: [{ provider: "fake", model: "m2" }] },
  ],
  routing: { retries: 0 },
  tenants: [{ name: "team-a" }, { name: "team-b" }],
  apps: [
    { name: "openai-api", frontdoor: "openai", path: "/openai" },
    { name: "anthropic-api", frontdoor: "anthropic", path: "/anthropic" },
    {
      name: "narrow",
      frontdoor: "openai",
      path: "/narrow",
      models: ["m1"],
      shadow: { provider: "fake", model: "app-candidate", sample: 1 },
    },
    { name: "team-a-app", frontdoor: "openai", path: "/team-a/openai", tenant: "team-a" },
  ],
});

const openai = (path: string, key = admin) =>
  new OpenAI({ apiKey: key, baseURL: `${gw.url}${path}/v1`, maxRetries: 0 });

describe("both official SDKs with baseURL at an app's prefix", () => {
  test("OpenAI SDK: chat, a stream, the model list", async () => {
    const client = openai("/openai");
    const answer = await client.chat.completions.create({
      model: "m1",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(answer.choices[0]?.message.content).toBeTruthy();
    let text = "";
    const stream = await client.chat.completions.create({
      model: "m1",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text.length).toBeGreaterThan(0);
    expect((await client.models.list()).data.map((m) => m.id).sort()).toEqual(["m1", "m2"]);
  });

  test("the Responses WebSocket under an app's prefix: its turns are the app's, narrowed to its models", async () => {
    const socket = new ResponsesWS(openai("/narrow"));
    const events: OpenAI.Responses.ResponsesServerEvent[] = [];
    socket.on("event", (event) => events.push(event));
    socket.on("error", () => undefined);
    const ended = (n: number) =>
      waitFor(`${n} turns' ends`, () =>
        events.filter((e) => e.type === "response.completed" || e.type === "error").length === n
          ? true
          : undefined,
      );
    socket.send({ type: "response.create", model: "m1", input: "in the app" });
    await ended(1);
    expect(events.at(-1)?.type).toBe("response.completed");
    socket.send({ type: "response.create", model: "m2", input: "not in the app" });
    await ended(2);
    expect(events.at(-1)).toMatchObject({ type: "error", status: 404, error: { code: "model_not_found" } });
    socket.close({ code: 1000, reason: "done" });
  });

  test("Anthropic SDK: a message and a stream, translated to the OpenAI-shaped upstream", async () => {
    const client = new Anthropic({ apiKey: admin, baseURL: `${gw.url}/anthropic`, maxRetries: 0 });
    const message = await client.messages.create({
      model: "m1",
      max_tokens: 32,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(message.content[0]?.type).toBe("text");
    const stream = client.messages.stream({
      model: "m1",
      max_tokens: 32,
      messages: [{ role: "user", content: "hi" }],
    });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBeTruthy();
    const listed = [];
    for await (const model of client.models.list()) listed.push(model.id);
    expect(listed.sort()).toEqual(["m1", "m2"]);
  });

  test("an app's model APIs answer in its dialect, whoever asks; the root's by `anthropic-version`", async () => {
    const list = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${gw.url}${path}/v1/models`, { headers: { authorization: `Bearer ${admin}`, ...headers } });
    // No `anthropic-version`: the Anthropic app's list is still Anthropic's.
    expect(await (await list("/anthropic")).json()).toMatchObject({
      has_more: false,
      data: [{ type: "model" }, { type: "model" }],
    });
    const missing = await fetch(`${gw.url}/anthropic/v1/models/nope`, { headers: { "x-api-key": admin } });
    expect({ status: missing.status, body: await missing.json() }).toMatchObject({
      status: 404,
      body: { type: "error", error: { type: "not_found_error" } },
    });
    // And the OpenAI app's is OpenAI's, even to a caller that sends it.
    expect(await (await list("/openai", { "anthropic-version": "2023-06-01" })).json()).toMatchObject({
      object: "list",
      data: [{ object: "model" }, { object: "model" }],
    });
  });
});

describe("what is not mounted is a clear 404", () => {
  test("the root model APIs are gone once apps exist; the error names the mounted prefixes", async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: bearer(admin),
      body: chatBody("m1"),
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    const body = (await res.json()) as { error: { message: string; type: string; code: string } };
    expect(body.error.code).toBe("not_found");
    expect(body.error.message).toContain("/openai (openai)");
    expect(body.error.message).toContain("/anthropic (anthropic)");
    // Still audited, like any request that reached the gateway.
    await auditRow(gw, res.headers.get("x-request-id") ?? "");
  });

  test("an unknown prefix, through the SDK: NotFoundError", async () => {
    const failure = await openaiFailure(
      openai("/nope").chat.completions.create({ model: "m1", messages: [{ role: "user", content: "hi" }] }),
    );
    expect(failure).toBeInstanceOf(OpenAI.NotFoundError);
    expect(failure.message).toContain("model APIs are served only under the apps mounted at");
  });

  test("the other dialect's path inside an app: a 404 in the app's dialect", async () => {
    const res = await fetch(`${gw.url}/anthropic/v1/chat/completions`, {
      method: "POST",
      headers: bearer(admin),
      body: chatBody("m1"),
    });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe("error");
    expect(body.error.type).toBe("not_found_error");
    expect(body.error.message).toContain('in app "anthropic-api"');
  });

  test("admin, health and worker paths stay at the root", async () => {
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${gw.url}/admin/api/status`, { headers: bearer(admin) })).status).toBe(200);
  });
});

describe("an app narrows who and what", () => {
  test("models: only the app's, listed and callable", async () => {
    const client = openai("/narrow");
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(["m1"]);
    const refused = await openaiFailure(
      client.chat.completions.create({ model: "m2", messages: [{ role: "user", content: "hi" }] }),
    );
    // As a model that does not exist: the app's list is not disclosed.
    expect(refused).toBeInstanceOf(OpenAI.NotFoundError);
  });

  test("shadow: calls through the app are mirrored to the app's shadow", async () => {
    const { response } = await openai("/narrow")
      .chat.completions.create({ model: "m1", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    const id = response.headers.get("x-request-id");
    const pair = await waitFor("the app's shadow pair", async () => {
      const page = (await (await fetch(`${gw.url}/admin/api/shadow`, { headers: bearer(admin) })).json()) as {
        records: { requestId: string; shadow: { upstreamModel: string; status: number } }[];
      };
      return page.records.find((r) => r.requestId === id);
    });
    expect(pair.shadow).toMatchObject({ upstreamModel: "app-candidate", status: 200 });
  });

  test("tenant: only that tenant's keys get in", async () => {
    const a = (await createKey(gw, { name: "app-a", tenant: "team-a" })).key;
    const b = (await createKey(gw, { name: "app-b", tenant: "team-b" })).key;
    const ok = await openai("/team-a/openai", a).chat.completions.create({
      model: "m1",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(ok.choices.length).toBe(1);
    const refused = await openaiFailure(
      openai("/team-a/openai", b).chat.completions.create({
        model: "m1",
        messages: [{ role: "user", content: "hi" }],
      }),
    );
    expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
    // The message names no tenant: any other tenant's credential reads it.
    const message = refused.message;
    expect(message).toContain("this app does not serve your credential's tenant");
    expect(message).not.toContain("team-a");
    // The refusal's row says who was refused, as a role's refusal does.
    const row = await auditRow(gw, refused.requestID ?? "");
    expect(row).toMatchObject({ status: 403, keyName: "app-b", tenant: "team-b", role: "user" });
    // The bootstrap admin key is of tenant `default`: no way in either, and recorded as itself.
    const admins = await openaiFailure(
      openai("/team-a/openai").chat.completions.create({
        model: "m1",
        messages: [{ role: "user", content: "hi" }],
      }),
    );
    expect(admins).toBeInstanceOf(OpenAI.PermissionDeniedError);
    const adminRow = await auditRow(gw, admins.requestID ?? "");
    expect(adminRow).toMatchObject({ status: 403, tenant: "default", role: "admin" });
    expect(adminRow.keyName).toBeTruthy();
  });
});

describe("the app a request came through is recorded", () => {
  /** A chat call through the app at `path`; returns its request id. */
  const chatThrough = async (path: string) => {
    const { response } = await openai(path)
      .chat.completions.create({ model: "m1", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    return response.headers.get("x-request-id") ?? "";
  };
  const accessLine = (requestId: string) =>
    waitFor(`the access line of ${requestId}`, () =>
      gw.stderr.all
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line.msg === "request" && line.request_id === requestId),
    );

  test("its audit row, its access line, the audit filter and `mindgw audit query --app`", async () => {
    const narrow = await chatThrough("/narrow");
    const openaiApp = await chatThrough("/openai");
    expect(await auditRow(gw, narrow)).toMatchObject({ app: "narrow", frontDoor: "chat", model: "m1" });
    expect(await auditRow(gw, openaiApp)).toMatchObject({ app: "openai-api", frontDoor: "chat" });
    expect(await accessLine(narrow)).toMatchObject({ front_door: "chat", app: "narrow" });
    // The admin API is no app's: its rows and lines name none.
    const status = await fetch(`${gw.url}/admin/api/status`, { headers: bearer(admin) });
    await status.arrayBuffer();
    const adminId = status.headers.get("x-request-id") ?? "";
    expect(await auditRow(gw, adminId)).not.toHaveProperty("app");
    expect(await accessLine(adminId)).not.toHaveProperty("app");
    const selected = await auditRecords(gw, { app: "narrow" });
    expect(selected.map((r) => r.requestId)).toContain(narrow);
    expect(selected.every((r) => r.app === "narrow")).toBe(true);
    const cli = await runMindgw(["audit", "query", "--json", "--app", "openai-api", "--gateway", gw.url], {
      env: { MINDGW_ADMIN_KEY: admin },
    });
    expect(cli.code).toBe(0);
    const printed = cli.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { requestId: string; app?: string });
    expect(printed.map((r) => r.requestId)).toContain(openaiApp);
    expect(printed.every((r) => r.app === "openai-api")).toBe(true);
    // The table for people has an APP column while a row came through an app (audit-table.test.ts: none without).
    const run = await runMindgw(["audit", "query", "--limit", "50", "--gateway", gw.url], {
      env: { MINDGW_ADMIN_KEY: admin },
    });
    expect(run.code).toBe(0);
    const [titles = "", ...rows] = run.stdout.split("\n");
    expect(titles).toMatch(/^TIME +STATUS +KEY +APP +MODEL /);
    const appOf = (requestId: string) =>
      (rows.find((line) => line.includes(requestId)) ?? "").slice(titles.indexOf("APP")).split(/ +/)[0];
    expect([appOf(narrow), appOf(openaiApp), appOf(adminId)]).toEqual(["narrow", "openai-api", "-"]);
  });

  test("`mindgw tail --app` shows that app's requests alone, started and finished", async () => {
    const tail = spawnTail(["--gateway", gw.url, "--json", "--app", "narrow"], { MINDGW_ADMIN_KEY: admin });
    fx.deferTest(() => tail.stop());
    await untilListening(tail, () => chatThrough("/narrow"));
    const other = await chatThrough("/openai");
    const mine = await chatThrough("/narrow");
    await tail.finished(mine);
    const lines = tail.lines();
    expect(lines.map(requestIdOf)).not.toContain(other);
    const started = lines.find((l) => l.type === "request.started" && l.requestId === mine);
    expect(started).toMatchObject({ app: "narrow" });
    const finished = lines.find((l) => l.type === "request.finished" && l.record?.requestId === mine);
    expect(finished?.record).toMatchObject({ app: "narrow" });
  });
});

test("config check: an app over the gateway's own paths, or overlapping another, is refused", async () => {
  const path = `${dir.path}/bad-apps.yaml`;
  await Bun.write(
    path,
    "apps: [{ name: a, frontdoor: openai, path: /admin/x }, { name: b, frontdoor: openai, path: /o }, { name: c, frontdoor: anthropic, path: /o/a }]\n",
  );
  const out = await runMindgw(["config", "check", "-c", path]);
  expect(out.code).toBe(2);
  expect(out.stderr).toContain("apps[0].path: /admin is the gateway's own");
  expect(out.stderr).toContain('apps[2].path: "/o/a" overlaps apps[1].path "/o"');
});

// Last: it edits the running gateway's config. Apps are mounted once at start, so an edit to
// `apps:` is accepted with the rest of the file but reported as needing a restart.
test("a reload that edits apps: other changes apply, the apps stay as at start, restart required is reported", async () => {
  const before = gw.stderr.all.length;
  const started = config();
  await gw.writeConfig({
    ...started,
    models: [...started.models, { name: "m3", routes: [{ provider: "fake", model: "m3" }] }],
    apps: [
      ...started.apps.map((app) => (app.name === "narrow" ? { ...app, models: ["m2"] } : app)),
      { name: "late", frontdoor: "openai", path: "/late" },
    ],
  });
  const call = (path: string, model: string) =>
    fetch(`${gw.url}${path}/v1/chat/completions`, {
      method: "POST",
      headers: bearer(admin),
      body: chatBody(model),
    });
  await waitFor("the new model to route", async () => (await call("/openai", "m3")).status === 200);
  await waitFor("the restart-required warning", () =>
    gw.stderr.all.slice(before).includes("restart required for: apps"),
  );
  const status = (await (await fetch(`${gw.url}/admin/api/status`, { headers: bearer(admin) })).json()) as {
    config: { restartRequired: string[] };
  };
  expect(status.config.restartRequired).toEqual(["apps"]);
  // Still the apps the process started with: no /late mount, and /narrow still serves m1 only.
  const late = await call("/late", "m1");
  expect(late.status).toBe(404);
  expect(((await late.json()) as { error: { message: string } }).error.message).not.toContain(
    "/late (openai)",
  );
  expect((await call("/narrow", "m1")).status).toBe(200);
  expect((await call("/narrow", "m2")).status).toBe(404);
});
