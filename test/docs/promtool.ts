import { writeFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { childEnv } from "../../src/testing/off-cloud-env.ts";

/** The roles Prometheus's Kubernetes discovery has (its configuration docs, `kubernetes_sd_config`). */
const KUBERNETES_ROLES = ["node", "service", "pod", "endpoints", "endpointslice", "ingress"];

/** A promtool build without Kubernetes discovery: Debian's (prometheus/prometheus#5053, #12526). */
const NO_KUBERNETES = /field kubernetes_sd_configs not found/;

/**
 * A bound for a hung promtool, not a timing assertion: one check takes well under a second. Without
 * it a hang blocked the test runner past the test's own timeout (a sync spawn is not interrupted).
 */
const PROMTOOL_BOUND_MS = 30_000;

interface ScrapeJob {
  kubernetes_sd_configs?: { role?: string }[];
  static_configs?: unknown[];
}

/**
 * What promtool finds wrong with a Prometheus file's text, written to `path`: a rule file
 * (`groups:`) by `check rules`, linted; a config by `check config --syntax-only`, since the files
 * it names (an admin key's `credentials_file`) are on the Prometheus host, not here. Empty when
 * it passes. Where this promtool was built without Kubernetes discovery, a job that uses it is
 * checked with that discovery left out and its roles checked here. Throws when promtool is not
 * on PATH: the suite's tools are installed, not skipped (test/suite-rules.test.ts).
 */
export function promtoolProblems(text: string, path: string): string[] {
  const document = parse(text) as { groups?: unknown; scrape_configs?: ScrapeJob[] };
  const rules = document.groups !== undefined;
  const run = (written: string) => {
    writeFileSync(path, written);
    const args = rules
      ? ["check", "rules", "--lint=all", "--lint-fatal"]
      : ["check", "config", "--syntax-only"];
    const result = Bun.spawnSync(["promtool", ...args, path], {
      env: childEnv(),
      timeout: PROMTOOL_BOUND_MS,
    });
    const output = result.exitedDueToTimeout
      ? `promtool ${args.join(" ")} did not finish in ${PROMTOOL_BOUND_MS / 1000} s`
      : `${result.stdout}${result.stderr}`;
    return { ok: result.exitCode === 0, output };
  };
  const first = run(text);
  if (first.ok) return [];
  if (rules || !NO_KUBERNETES.test(first.output)) return [first.output];
  const jobs = document.scrape_configs ?? [];
  const roles = jobs.flatMap((job) => job.kubernetes_sd_configs ?? []).map((sd) => sd.role ?? "(none)");
  const unknownRoles = roles.filter((role) => !KUBERNETES_ROLES.includes(role));
  const without = jobs.map(({ kubernetes_sd_configs, ...job }) =>
    kubernetes_sd_configs === undefined ? job : { ...job, static_configs: job.static_configs ?? [] },
  );
  const second = run(stringify({ ...document, scrape_configs: without }));
  return [
    ...unknownRoles.map((role) => `kubernetes_sd_configs: no role "${role}"`),
    ...(second.ok ? [] : [second.output]),
  ];
}
