import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Behaviour } from "../../fake-upstream/fake-upstream.ts";
import {
  inLoopbackWorld,
  type RouteSettings,
  type RoutingSettings,
  runClient,
  scenarioOptions,
  type UpstreamKind,
} from "./loopback-world.ts";

/** Codex CLI (`codex exec`), pointed at mindgw by a custom provider on the Responses wire. */
interface Options {
  upstream: UpstreamKind;
  /** The model Codex asks for; absent: Codex's own default. */
  model?: string;
  /** Every model name Codex may send, routed to the fake. */
  models: string[];
  prompt: string;
  /** Extra `codex exec` flags. */
  flags?: string[];
  /** Bound on the client run (default 90 s). */
  timeoutMs?: number;
  /** More top-level config.toml lines. */
  config?: string;
  /** More lines of the custom provider's table (`request_max_retries`, `stream_max_retries`). */
  providerConfig?: string;
  /** Files to read back from the workspace after the run. */
  collect?: string[];
  /** Use Codex's built-in OpenAI provider with `openai_base_url` instead of a custom provider. */
  builtinOpenAI?: boolean;
  /** Fake upstream behaviours for its next requests, in order (`inputTokens` near the window). */
  queue?: Behaviour[];
  /** What every route also sets (`context_window`, the upstream `model`). */
  route?: RouteSettings;
  /** What the gateway sets under `routing:` (`stream_keepalive`). */
  routing?: RoutingSettings;
}

const options = scenarioOptions<Options>();
const CODEX = join(import.meta.dir, "../../../node_modules/.bin/codex");

await inLoopbackWorld(
  options.upstream,
  options.models,
  async ({ fake, gw, key, dir }) => {
    if (options.queue) fake.enqueue(...options.queue);
    const home = join(dir, "codex-home");
    const work = join(dir, "work");
    mkdirSync(home, { recursive: true });
    mkdirSync(work, { recursive: true });
    // The documented way to use a gateway: a custom model provider (docs/CLIENTS.md).
    const model = `${options.model ? `model = "${options.model}"\n` : ""}${options.config ?? ""}`;
    // Or the built-in OpenAI provider pointed at mindgw (`openai_base_url`), as Codex then uses its
    // remote compaction (`POST /v1/responses/compact`) as it does against OpenAI.
    const provider = options.builtinOpenAI
      ? `openai_base_url = "${gw.url}/v1"\n`
      : `model_provider = "mindgw"

[model_providers.mindgw]
name = "mindgw"
base_url = "${gw.url}/v1"
env_key = "MINDGW_API_KEY"
wire_api = "responses"
${options.providerConfig ?? ""}`;
    await Bun.write(join(home, "config.toml"), `${model}${provider}`);
    const run = await runClient(
      [CODEX, "exec", "--skip-git-repo-check", ...(options.flags ?? []), options.prompt],
      {
        cwd: work,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: dir,
          CODEX_HOME: home,
          MINDGW_API_KEY: key,
          ...(options.builtinOpenAI ? { CODEX_API_KEY: key } : {}),
        },
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      },
    );
    const files: Record<string, string> = {};
    for (const name of options.collect ?? []) {
      const file = Bun.file(join(work, name));
      if (await file.exists()) files[name] = await file.text();
    }
    return { ...run, files };
  },
  options.route,
  options.routing,
);
