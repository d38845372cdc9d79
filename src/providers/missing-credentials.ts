import { existsSync } from "node:fs";
import type { Config, ProviderConfig } from "../config/config-schema.ts";
import { carriesCredential } from "../core/credential-header.ts";
import { stableJson } from "../core/stable-json.ts";
import type { Logger } from "../log/logger.ts";

type Env = Record<string, string | undefined>;

/** A cloud provider whose credentials cannot be found or read: what is missing, and its routes. */
export interface MissingCredentials {
  readonly provider: string;
  readonly type: string;
  readonly missing: string;
  /** What it is said to be unable to do: `has no usable credentials`, or `cannot call AWS` (a region or endpoint problem). */
  readonly heading: string;
  /** `model (route provider/upstream-model)` for each route on it. */
  readonly routes: readonly string[];
}

/**
 * Each cloud provider whose credentials cannot be found or read. Not a refusal: credentials are
 * read on a provider's first call (a key file may be mounted after the gateway starts), and its
 * calls meanwhile answer 502; `config check` and the gateway's start say so now rather than at
 * the first request.
 */
export function missingCredentials(
  config: Config,
  env: Env = process.env,
  onGoogleCloud?: (env: Env) => boolean,
): MissingCredentials[] {
  const found: MissingCredentials[] = [];
  for (const provider of config.providers) {
    const lacks = whatIsMissing(provider, env, onGoogleCloud);
    if (lacks === undefined) continue;
    const { missing, heading } =
      typeof lacks === "string" ? { missing: lacks, heading: NO_CREDENTIALS } : lacks;
    const routes = config.models.flatMap((model) =>
      model.routes
        .filter((route) => route.provider === provider.name)
        .map((route) => `${model.name} (route ${provider.name}/${route.model})`),
    );
    found.push({ provider: provider.name, type: provider.type, missing, heading, routes });
  }
  return found;
}

/**
 * What a reload warns of: those of `next`'s providers it adds or configures anew (a provider
 * unchanged was warned of at start, or by the reload that brought it), so that a provider added
 * without credentials is said at once, as at start, not at its first 502.
 */
export function reloadMissingCredentials(
  previous: Config,
  next: Config,
  env: Env = process.env,
): MissingCredentials[] {
  const before = new Map(previous.providers.map((provider) => [provider.name, stableJson(provider)]));
  const anew = new Set(
    next.providers
      .filter((provider) => before.get(provider.name) !== stableJson(provider))
      .map((provider) => provider.name),
  );
  return anew.size === 0 ? [] : missingCredentials(next, env).filter((found) => anew.has(found.provider));
}

/** The gateway's log line for each: at start, and at a reload (`reloadMissingCredentials`). */
export function warnMissingCredentials(logger: Logger, found: readonly MissingCredentials[]): void {
  for (const { provider, type, missing, heading, routes } of found)
    logger.warn(`provider ${heading}: its calls will answer 502`, {
      provider,
      type,
      missing,
      routes: routes.join(", "),
    });
}

/** `config check`'s line for one. */
export const missingCredentialsWarning = (found: MissingCredentials): string =>
  `warning: provider ${found.provider} (${found.type}) ${found.heading}: ${found.missing}; ${
    found.routes.length === 0
      ? "it serves no route"
      : `its calls will answer 502 (model ${found.routes.join(", model ")})`
  }`;

const NO_CREDENTIALS = "has no usable credentials";

/**
 * What a provider of a type whose credentials may come from the environment lacks, if anything
 * (with the heading to say it under, when not `NO_CREDENTIALS`).
 * `onGoogleCloud`: whether a metadata server may serve Vertex AI's token (google-cloud-residency.ts).
 */
function whatIsMissing(
  provider: ProviderConfig,
  env: Env,
  onGoogleCloud: ((env: Env) => boolean) | undefined,
): string | { missing: string; heading: string } | undefined {
  switch (provider.type) {
    case "gemini":
      return provider.api_key || env.GEMINI_API_KEY
        ? undefined
        : "no api_key in config and GEMINI_API_KEY is unset";
    case "azure": {
      // Its own headers may authenticate it (`api-key:`, APIM's subscription key): then no identity is looked for.
      if (provider.api_key || (!provider.entra && carriesCredential(provider.headers))) return undefined;
      // Loaded only for a config that has such a provider (create-provider.ts: idle memory).
      const { ENTRA_ENVIRONMENT, entraFromEnvironment } =
        require("./azure/entra-environment.ts") as typeof import("./azure/entra-environment.ts");
      const entra = provider.entra ?? entraFromEnvironment(env);
      // Azure IMDS is asked then, as DefaultAzureCredential asks it: there only on an Azure VM,
      // scale set or AKS node, which config's `managed_identity` says this is.
      if ("unannounced" in entra && entra.unannounced)
        return `neither api_key nor entra in config, and the environment has no Entra identity (${ENTRA_ENVIRONMENT}): its calls ask Azure IMDS, there only on an Azure VM, scale set or AKS node (entra: { managed_identity: true } says this is one)`;
      // The workload identity webhook mounts it before the gateway starts: one not there is a wrong path.
      const file = entra.federated_token_file;
      return file && !existsSync(file) ? `the federated token file ${file} does not exist` : undefined;
    }
    case "vertex": {
      const { vertexCredentialsProblem } =
        require("./google/vertex-credentials-problem.ts") as typeof import("./google/vertex-credentials-problem.ts");
      return vertexCredentialsProblem(provider.service_account, env, onGoogleCloud);
    }
    case "bedrock": {
      const { awsProfileProblem } =
        require("./bedrock/aws-profile-problem.ts") as typeof import("./bedrock/aws-profile-problem.ts");
      const found = awsProfileProblem(provider, env);
      if (found === undefined) return undefined;
      return { missing: found.problem, heading: found.credentials ? NO_CREDENTIALS : "cannot call AWS" };
    }
    default:
      return undefined;
  }
}
