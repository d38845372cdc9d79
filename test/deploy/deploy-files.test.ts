/**
 * The deployment files cannot run here (no Docker daemon, no systemd, no Kubernetes), so they
 * are checked for what would break them: they parse, the commands and flags they use exist in
 * the binary, probes hit the health endpoints, selectors match, grace periods outlast the drain,
 * the config they ship is valid, and every file docs/DEPLOYMENT.md names is there.
 */
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { parseConfig, parseConfigText } from "../../src/config/load-config.ts";
import { parseDuration } from "../../src/config/units.ts";
import { runMindgw } from "../e2e/harness/run-mindgw.ts";
import { tempDir } from "../e2e/harness/temp-dir.ts";

const ROOT = join(import.meta.dir, "../..");
const read = (path: string) => Bun.file(join(ROOT, path)).text();

/** The fields of the manifests these checks read (a manifest missing one fails the test). */
interface Container {
  name: string;
  args: string[];
  ports?: { name: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  readinessProbe?: { httpGet: unknown };
  livenessProbe?: { httpGet: unknown };
  volumeMounts?: { mountPath: string }[];
}
interface Doc {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec: {
    replicas?: number;
    minAvailable?: number;
    selector?: { matchLabels?: Record<string, string> } & Record<string, unknown>;
    ports?: { targetPort: string }[];
    template?: {
      metadata: { labels: Record<string, string> };
      spec: { terminationGracePeriodSeconds: number; containers: Container[] };
    };
  };
}
async function manifests(path: string): Promise<Doc[]> {
  const docs = parseAllDocuments(await read(path));
  for (const doc of docs) expect(doc.errors).toEqual([]);
  return docs.map((doc) => doc.toJS() as Doc);
}
const of = (docs: Doc[], kind: string) => {
  const found = docs.filter((d) => d.kind === kind);
  expect(found.length).toBeGreaterThan(0);
  return found[0]!;
};

/** The flags a subcommand's --help lists. */
async function flagsOf(command: string): Promise<Set<string>> {
  const help = await runMindgw([command, "--help"]);
  expect(help.code).toBe(0);
  return new Set(help.stdout.match(/--[a-z][a-z-]*/g) ?? []);
}

const ENV = {
  DATABASE_URL: "postgres://mindgw:x@db:5432/mindgw",
  REDIS_URL: "redis://redis:6379",
  POD_IP: "10.0.0.7",
  POD_NAME: "mindgw-0",
  MINDGW_CLUSTER_SECRET: "0123456789abcdef0123",
  OPENAI_API_KEY: "sk-test",
};

describe("Kubernetes: deploy/kubernetes/gateway.yaml", () => {
  test("Deployment, Service, PodDisruptionBudget and config agree with each other and with mindgw", async () => {
    const docs = await manifests("deploy/kubernetes/gateway.yaml");
    const deployment = of(docs, "Deployment");
    const service = of(docs, "Service");
    const budget = of(docs, "PodDisruptionBudget");
    const configMap = of(docs, "ConfigMap");
    const template = deployment.spec.template!;
    const labels = template.metadata.labels;
    expect(deployment.spec.selector?.matchLabels).toEqual(labels);
    expect(service.spec.selector).toEqual(labels);
    expect(budget.spec.selector?.matchLabels).toEqual(labels);
    expect(budget.spec.minAvailable!).toBeLessThan(deployment.spec.replicas!);
    const container = template.spec.containers[0]!;
    expect(container.args.slice(0, 2)).toEqual(["serve", "-c"]);
    const port = container.ports?.find((p) => p.name === "http");
    expect(container.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "http" });
    expect(container.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(service.spec.ports?.[0]?.targetPort).toBe("http");
    // The shipped config is valid (with its ${VAR}s set), listens on the container port, and
    // the pod's grace period outlasts the drain.
    const config = parseConfig(parseYaml(configMap.data?.["config.yaml"] ?? ""), ENV);
    expect(port?.containerPort).toBe(config.server.port);
    expect(config.storage.driver).toBe("postgres");
    expect(config.cluster?.advertise_url).toBe("http://10.0.0.7:8080");
    expect(template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(config.server.drain_timeout);
    expect(container.args[2]).toStartWith(container.volumeMounts?.[0]?.mountPath ?? "?");
    // Audit rows a stop could not write are saved in the working directory by default: the image's
    // WORKDIR, on no volume here, gone with the pod. So they go to the container's log instead.
    const workdir = /^WORKDIR (\S+)$/m.exec((await read("Dockerfile")).split(/^FROM /m).at(-1) ?? "")?.[1];
    expect(workdir).toBeDefined();
    expect(container.volumeMounts?.map((m) => m.mountPath)).not.toContain(workdir);
    expect(config.audit.unwritten_rows).toBe("stderr");
  });

  test("the worker runs beside its model server with flags mindgw worker has", async () => {
    const docs = await manifests("deploy/kubernetes/worker.yaml");
    const template = of(docs, "Deployment").spec.template!;
    const containers = template.spec.containers;
    const worker = containers.find((c) => c.name === "worker")!;
    expect(worker.args[0]).toBe("worker");
    const flags = await flagsOf("worker");
    for (const arg of worker.args.slice(1)) if (arg.startsWith("--")) expect(flags.has(arg)).toBe(true);
    // The token and the upstream's key come from the environment variables the CLI reads, from
    // the Secret, never a flag (which the pod spec and the process list show).
    const secretOf = (name: string) => worker.env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
    expect(secretOf("MINDGW_WORKER_TOKEN")).toEqual({ name: "mindgw-worker", key: "token" });
    expect(secretOf("MINDGW_UPSTREAM_KEY")).toEqual({ name: "mindgw-worker", key: "upstream-key" });
    expect(worker.args).not.toContain("--upstream-key");
    expect(worker.args).not.toContain("--token");
    const upstream = worker.args[worker.args.indexOf("--upstream") + 1];
    const server = containers.find((c) => c.name !== "worker")!;
    expect(upstream).toContain(`:${server.args[server.args.indexOf("--port") + 1]}/v1`);
    // The pod's grace period outlasts the worker's drain (its flag, else the default --help shows).
    const help = (await runMindgw(["worker", "--help"])).stdout;
    const drainDefault = /--drain-timeout <duration>[\s\S]*?\(default: "([^"]+)"\)/.exec(help)?.[1] ?? "?";
    const given = worker.args.indexOf("--drain-timeout");
    const drain = parseDuration(given < 0 ? drainDefault : (worker.args[given + 1] ?? "?"));
    expect(drain).toBeGreaterThan(0);
    expect(template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(drain ?? Infinity);
  });
});

describe("the shipped configs", () => {
  /** What the example's providers read from the environment, so none is warned of as missing. */
  const CREDENTIALS = {
    GEMINI_API_KEY: "g-test",
    AZURE_TENANT_ID: "tenant",
    AZURE_CLIENT_ID: "client",
    AZURE_CLIENT_SECRET: "secret",
    GOOGLE_APPLICATION_CREDENTIALS: JSON.stringify({ client_email: "gw@example.iam", private_key: "k" }),
  };

  test("mindgw config check passes each one without a warning but the manifest's plain http advertise_url: every model priced, nothing missing", async () => {
    const dir = tempDir("mindgw-deploy-");
    try {
      const configMap = of(await manifests("deploy/kubernetes/gateway.yaml"), "ConfigMap");
      const kubernetes = dir.file("kubernetes.yaml");
      await Bun.write(kubernetes, configMap.data?.["config.yaml"] ?? "");
      // Its nodes reach each other over the pod network in plain http (the manifest says why).
      const plain = /^warning: cluster\.advertise_url is plain http \(http:\/\/10\.0\.0\.7:8080\): [^\n]*\n$/;
      for (const [file, stderr] of [
        [kubernetes, plain],
        [join(ROOT, "config.example.yaml"), /^$/],
      ] as const) {
        const check = await runMindgw(["config", "check", "-c", file], { env: { ...ENV, ...CREDENTIALS } });
        expect({ file, code: check.code }).toEqual({ file, code: 0 });
        expect(check.stderr).toMatch(stderr);
      }
    } finally {
      dir.cleanup();
    }
  });
});

describe("Dockerfile", () => {
  test("builds with the pinned Bun and runs the compiled binary as a non-root user", async () => {
    const text = await read("Dockerfile");
    expect(text).toContain(`FROM oven/bun:${Bun.version} AS build`);
    expect(text).toContain("RUN bun install --frozen-lockfile");
    expect(text).toContain("RUN bun run build");
    expect(text).toMatch(/COPY --from=build \/src\/dist\/mindgw \/usr\/local\/bin\/mindgw/);
    expect(text).toMatch(/^USER mindgw$/m);
    expect(text).toContain('ENTRYPOINT ["/usr/local/bin/mindgw"]');
    expect(text).toContain('CMD ["serve", "-c", "/etc/mindgw/config.yaml"]');
    expect(text).toMatch(/^EXPOSE 8080$/m);
  });

  test("the build is told its commit, which the build image has no git to read (scripts/build-commit.ts)", async () => {
    const text = await read("Dockerfile");
    // Declared in the build stage before the build runs, so `bun run build` sees it in its environment.
    const build = text.slice(text.indexOf("AS build"), text.indexOf("RUN bun run build"));
    expect(build).toMatch(/^ARG MINDGW_BUILD_COMMIT$/m);
    // Both the Dockerfile's own line and DEPLOYMENT.md's pass it.
    const passes =
      /docker build --build-arg MINDGW_BUILD_COMMIT=\$\(git rev-parse --short HEAD\) -t mindgw \./;
    expect(text).toMatch(passes);
    expect(await read("docs/DEPLOYMENT.md")).toMatch(passes);
  });

  test("the documented Docker layout keeps the store in the VOLUME, written by the image's user", async () => {
    const text = await read("Dockerfile");
    const volume = /^VOLUME \["([^"]+)"\]$/m.exec(text)?.[1] ?? "?";
    const configPath = /^CMD \["serve", "-c", "([^"]+)"\]$/m.exec(text)?.[1] ?? "?";
    const uid = /useradd --system --uid (\d+)/.exec(text)?.[1] ?? "?";
    expect(text).toMatch(new RegExp(`--home-dir ${volume} --create-home mindgw`));
    // The links the image makes: from where, to where.
    const links = new Map([...text.matchAll(/ln -s (\S+) (\S+)/g)].map((m) => [m[2]!, m[1]!] as const));
    /** Where a path in the image leads, through those links. */
    const inImage = (path: string) => {
      for (const [link, target] of links) {
        const below = relative(link, path);
        if (!below.startsWith("..")) return join(target, below);
      }
      return path;
    };
    // The config a user mounts there (the example's storage.path, or none: the default) puts the
    // store in the volume, beside the config file by its path and in the volume by the link.
    for (const config of [await read("config.example.yaml"), "server: { port: 8080 }\n"]) {
      const { storage } = parseConfigText(configPath, config, {});
      expect(dirname(storage.path)).toBe(join(dirname(configPath), "data"));
      expect(dirname(inImage(storage.path))).toBe(volume);
    }
    // DEPLOYMENT.md runs it with the volume and the config where the image expects them, and says
    // to give the host folder to the image's user.
    const deployment = await read("docs/DEPLOYMENT.md");
    const run = /`docker run ([^`]+)`/.exec(deployment)?.[1] ?? "";
    const mounts = [...run.matchAll(/-v (\S+):(\S+)/g)].map((m) => ({ host: m[1]!, at: m[2]! }));
    const data = mounts.find((m) => m.at === volume);
    expect(data).toBeDefined();
    expect(mounts.map((m) => m.at)).toContain(configPath);
    expect(deployment).toContain(`\`chown ${uid}:${uid} ${data?.host}\``);
  });
});

describe("systemd: deploy/systemd/mindgw.service", () => {
  test("runs serve with a config, reloads on HUP, and gives the drain time to finish", async () => {
    const unit: Record<string, Record<string, string>> = {};
    let section = "";
    for (const line of (await read("deploy/systemd/mindgw.service")).split("\n")) {
      const header = line.match(/^\[(\w+)\]$/);
      if (header) {
        section = header[1]!;
        unit[section] = {};
      } else if (/^\w+=/.test(line)) {
        const [key, ...value] = line.split("=");
        unit[section]![key!] = value.join("=");
      }
    }
    expect(Object.keys(unit)).toEqual(["Unit", "Service", "Install"]);
    expect(unit.Service!.ExecStart).toBe("/usr/local/bin/mindgw serve -c /etc/mindgw/config.yaml");
    expect(unit.Service!.ExecReload).toContain("-HUP");
    expect(unit.Service!.KillSignal).toBe("SIGTERM");
    expect(Number(unit.Service!.TimeoutStopSec) * 1000).toBeGreaterThan(parseConfig({}).server.drain_timeout);
    expect((await flagsOf("serve")).has("--config")).toBe(true);
  });
});

test("every shipped deployment keeps the allocator's freed pages, and the binary's allocator reads that", async () => {
  // docs/DEPLOYMENT.md, "Memory": a few per cent of CPU a request for RSS that stays at its peak.
  expect(await read("Dockerfile")).toMatch(/^ENV MIMALLOC_PURGE_DELAY=-1$/m);
  expect(await read("deploy/systemd/mindgw.service")).toMatch(/^Environment=MIMALLOC_PURGE_DELAY=-1$/m);
  const docs = await manifests("deploy/kubernetes/gateway.yaml");
  const gateway = of(docs, "Deployment").spec.template!.spec.containers[0]!;
  expect(gateway.env).toContainEqual({ name: "MIMALLOC_PURGE_DELAY", value: "-1" });
  // The variable is the one the compiled binary's mimalloc takes (a Bun upgrade could rename it).
  const run = await runMindgw(["version"], { env: { MIMALLOC_VERBOSE: "1", MIMALLOC_PURGE_DELAY: "-1" } });
  expect(run.code).toBe(0);
  expect(run.stderr).toMatch(/option 'purge_delay': -1\b/);
});

test("docs/DEPLOYMENT.md names only files that exist", async () => {
  const text = await read("docs/DEPLOYMENT.md");
  const paths = [
    ...text.matchAll(/`((?:deploy|docs|bench|scripts)\/[\w./-]+|Dockerfile|config\.example\.yaml)`/g),
  ].map((m) => m[1]!);
  expect(paths.length).toBeGreaterThan(3);
  for (const path of paths) expect(existsSync(join(ROOT, path))).toBe(true);
});
