import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// The library form as an app developer's own strict project type-checks it.
const dir = mkdtempSync(join(tmpdir(), "mindgw-embed-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("an embedder's own strict tsconfig type-checks the library, names every part's types, and compiles EMBEDDING.md's code as written", async () => {
  // A project of its own outside the repo, as an app developer sets one up: strict, skipLibCheck,
  // nothing of ours included but what its one file imports.
  const project = join(dir, "consumer");
  const root = resolve(import.meta.dir, "..");
  mkdirSync(project);
  writeFileSync(
    join(project, "app.ts"),
    `import type {
  AuditFilter, AuditPosition, ConfigWatchHandlers, HandleOptions, KeyRecord, LogFields, Policy,
  ProviderContext, Served, ShadowAggregate, ShadowFilter, ShadowRecord, ShadowStore, StoredResponse,
  AdminAction, AdminActionPage, AdminActionStore, AdminSessionStore, KeyLimits, KeyPageFilter,
  KeyPosition, ListedModels, ResponseChain, SharedCharge, SpendChanges, StoredAdminAction,
  StoredAdminSession, TenantRules, TenantUsage, KeyStore, SpendStore, ResponseStore,
  ErrorCode, ForwardRequest, GatewayErrorInit, GatewayEvent, GatewayLimit, LoggerOptions, LogLevel,
  NativeRequest, Provider, PublishedRecord, RedactBody, WorkerSummary,
  RedisStreamSinkOptions, WebhookSinkOptions, WebhookStats, DropListener, DropReason,
  AuditRecord, AuditAttempt, FrontDoor, UpstreamErrorDetail, LogFormat,
} from ${JSON.stringify(join(root, "src/index.ts"))};
import { createGateway, parseConfig } from ${JSON.stringify(join(root, "src/index.ts"))};
export type Parts = [AuditFilter, AuditPosition, ConfigWatchHandlers, HandleOptions, KeyRecord, LogFields,
  ProviderContext, Served, ShadowAggregate, ShadowFilter, ShadowRecord, ShadowStore, StoredResponse,
  AdminAction, AdminActionPage, AdminActionStore, AdminSessionStore, KeyLimits, KeyPageFilter,
  KeyPosition, ListedModels, ResponseChain, SharedCharge, SpendChanges, StoredAdminAction,
  StoredAdminSession, TenantRules, TenantUsage];
// The built-in sinks' options, named as a host that builds them from a config of its own names them.
export type SinkOptions = [RedisStreamSinkOptions, WebhookSinkOptions, WebhookStats];
// Their drop listener, a host's metric written apart from the sink it counts for, by the names the
// options take.
export const countDrops: DropListener = {
  onDrop(_count: number, _reason: DropReason) {},
  onResumed(_dropped: number) {},
};
export const sinkListeners: [WebhookSinkOptions, RedisStreamSinkOptions] = [
  { url: "https://example.invalid/", secret: "s", ...countDrops },
  { url: "redis://127.0.0.1:1", stream: "s", maxLen: 1000, ...countDrops },
];
// What the implementable interfaces take and return is named by the package: a store of one's own
// is written with the exported names alone.
export type Named = [
  Parameters<NonNullable<KeyStore["page"]>>[0] extends KeyPageFilter ? true : never,
  Awaited<ReturnType<SpendStore["changedSince"]>> extends SpendChanges ? true : never,
  Awaited<ReturnType<NonNullable<ResponseStore["chain"]>>> extends ResponseChain | null ? true : never,
  Extract<ReturnType<Policy["record"]>, SharedCharge | Promise<SharedCharge>> extends never ? never : true,
  // What an event sink is handed, a provider's forward and native call take, a GatewayError is built
  // from, a logger is made from and a body redacted with: a plug-in names them from the package.
  Extract<GatewayEvent, { type: "request.finished" }>["record"] extends PublishedRecord ? true : never,
  Extract<GatewayEvent, { type: "worker.lost" }>["worker"] extends WorkerSummary ? true : never,
  Parameters<NonNullable<Provider["forward"]>>[0] extends ForwardRequest ? true : never,
  NonNullable<Parameters<Provider["call"]>[0]["native"]> extends NativeRequest ? true : never,
  GatewayErrorInit extends { code: ErrorCode; refusedBy?: GatewayLimit } ? true : never,
  LoggerOptions extends { level?: LogLevel } ? true : never,
  RedactBody extends (body: string, kind: "request" | "response") => string ? true : never,
  // What an audit store of one's own writes back from its rows in \`select\`, an upstream's error a
  // provider of one's own relays with its meaning, a logger's format: named by the package too.
  AuditRecord extends { frontDoor: FrontDoor; attempts?: readonly AuditAttempt[] | null } ? true : never,
  NonNullable<GatewayErrorInit["upstream"]> extends UpstreamErrorDetail ? true : never,
  NonNullable<LoggerOptions["format"]> extends LogFormat ? true : never,
];
// Given a value: a tuple of \`never\` elements compiles as a type, but no \`true\` is assignable to one.
export const named: Named = [true, true, true, true, true, true, true, true, true, true, true, true, true, true];
// What a Bun host hands in as a request's client: the address's text, or \`server.requestIP\`'s whole
// answer (a SocketAddress, or null without one), which the gateway reads its address from.
export const clientOf = (server: { requestIP(request: Request): import("bun").SocketAddress | null }, request: Request): HandleOptions[] => [
  { clientIp: server.requestIP(request)?.address },
  { clientIp: server.requestIP(request) },
];
const gateway = await createGateway({ config: parseConfig({ storage: { path: ":memory:" } }) });
await gateway.stop();
// A gateway's surface is what EMBEDDING.md documents, every type of it one the package names: no
// part of its inside (its Elysia app, any-typed, whose listen is no listener of the gateway's; its
// runtime snapshot, a type the package does not export).
export const surface: Exclude<keyof typeof gateway, "handle" | "websocket" | "listen" | "stop" | "storage"
  | "reload" | "lastReloadError" | "restartRequired" | "bootstrapAdmin"> extends never ? true : never = true;
// An earlier release's policy that handed a rotated key its predecessor's spend is told at compile
// time that no rotation calls it any more.
export class OlderPolicy implements Policy {
  admit() { return {}; }
  record() { return 0; }
  // @ts-expect-error carrySpend is gone: spend is counted under principal.chain
  carrySpend(_from: string, _to: string) {}
}
`,
  );
  // Every \`\`\`ts block of docs/EMBEDDING.md, as written and in its order (the second serves the
  // first's gateway), its import of "mindgw" the package; only the parts it leaves to the reader
  // are declared.
  const blocks = [
    ...readFileSync(join(root, "docs/EMBEDDING.md"), "utf8").matchAll(/^```ts\n([\s\S]*?)^```$/gm),
  ];
  expect(blocks.length).toBeGreaterThanOrEqual(2);
  writeFileSync(
    join(project, "doc-blocks.ts"),
    `import type { Authenticator, EventSink, Logger, Policy, ProviderFactory, Storage } from "mindgw";
declare const yamlShapedObject: unknown, auth: Authenticator, storage: Storage, events: EventSink[];
declare const policy: Policy, providers: ProviderFactory, logger: Logger, pluginTimeoutMs: number;
${blocks.map((block) => block[1]).join("\n")}`,
  );
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ESNext",
        module: "Preserve",
        moduleResolution: "bundler",
        lib: ["ESNext", "DOM"],
        types: ["bun"],
        typeRoots: [join(root, "node_modules/@types")],
        strict: true,
        skipLibCheck: true,
        noEmit: true,
        allowImportingTsExtensions: true,
        resolveJsonModule: true,
        paths: { mindgw: [join(root, "src/index.ts")] },
      },
      files: ["app.ts", "doc-blocks.ts"],
    }),
  );
  const tsc = Bun.spawn([join(root, "node_modules/.bin/tsc"), "-p", project], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const output = await new Response(tsc.stdout).text();
  expect(output).toBe("");
  expect(await tsc.exited).toBe(0);
  // One tsc run over the library: seconds alone, 18-30 s on two cores shared with other runs. A
  // bound for a hung tsc, not a timing assertion.
}, 90_000);
