import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  inLoopbackWorld,
  type RouteSettings,
  runClient,
  scenarioOptions,
  type UpstreamKind,
} from "./loopback-world.ts";

/** Claude Code (`claude -p`), pointed at mindgw with ANTHROPIC_BASE_URL and a mindgw key. */
interface Options {
  upstream: UpstreamKind;
  models: string[];
  prompt: string;
  flags?: string[];
  /** What every route also sets (`context_window`, the upstream `model`). */
  route?: RouteSettings;
  /** A key the gateway does not know, sent instead of the world's own. */
  unknownKey?: boolean;
  /** How long `claude -p` may run before it is killed. */
  clientTimeoutMs?: number;
  /** More environment for `claude -p` (`CLAUDE_CODE_MAX_RETRIES`, to bound its retries). */
  env?: Record<string, string>;
  /** Point Claude Code straight at the fake upstream, not at mindgw: the baseline a relay is held to. */
  direct?: boolean;
}

const options = scenarioOptions<Options>();
// The npm package's postinstall only copies this platform binary over its launcher stub; the
// binary itself ships inside the optional dependency for the platform (no download).
const CLAUDE = join(
  import.meta.dir,
  `../../../node_modules/@anthropic-ai/claude-code-linux-${process.arch}/claude`,
);

await inLoopbackWorld(
  options.upstream,
  options.models,
  async ({ fake, gw, key, dir }) => {
    const work = join(dir, "work");
    mkdirSync(work, { recursive: true });
    const run = await runClient([CLAUDE, "-p", options.prompt, ...(options.flags ?? [])], {
      cwd: work,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: dir,
        ANTHROPIC_BASE_URL: options.direct ? fake.url : gw.url,
        ANTHROPIC_API_KEY: options.unknownKey ? "mgw_not_a_key_the_gateway_issued" : key,
        ...options.env,
      },
      ...(options.clientTimeoutMs ? { timeoutMs: options.clientTimeoutMs } : {}),
    });
    return { ...run, direct: options.direct === true };
  },
  options.route,
);
