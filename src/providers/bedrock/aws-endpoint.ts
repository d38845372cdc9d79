import { readFileSync } from "node:fs";
import { type AwsPartition, awsPartition } from "./aws-partition.ts";
import { type AwsProfile, namedProfile, parseIni, sharedFilePaths } from "./aws-shared-files.ts";

type Env = Record<string, string | undefined>;

/** An AWS service the gateway calls: its identifier for configured endpoints, and its host's first label. */
export interface AwsService {
  /** `BEDROCK_RUNTIME` of `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`; lower-cased, its key in a `services` section. */
  readonly id: "BEDROCK_RUNTIME" | "STS" | "SIGNIN";
  readonly host: "bedrock-runtime" | "sts" | "signin";
}

export const BEDROCK_RUNTIME: AwsService = { id: "BEDROCK_RUNTIME", host: "bedrock-runtime" };
export const STS: AwsService = { id: "STS", host: "sts" };
/** AWS Sign-In, where an `aws login` session is refreshed (aws-login-credentials.ts). */
export const SIGNIN: AwsService = { id: "SIGNIN", host: "signin" };

/**
 * Sign-In's own domains, whose hosts put the region first (`https://us-east-1.signin.aws.amazon.com`),
 * as its endpoint rules name them for a refresh (@aws-sdk/nested-clients submodules/signin/endpoint:
 * CreateOAuth2Token, neither control plane nor OAuth with IAM); a partition not here gets
 * `signin.<its suffix>`, as the rules' last.
 */
const SIGNIN_DOMAINS: Readonly<Record<string, string>> = {
  aws: "signin.aws.amazon.com",
  "aws-cn": "signin.amazonaws.cn",
  "aws-us-gov": "signin.amazonaws-us-gov.com",
  "aws-iso": "signin.c2shome.ic.gov",
  "aws-iso-b": "signin.sc2shome.sgov.gov",
  "aws-iso-f": "signin.csphome.hci.ic.gov",
  "aws-iso-e": "signin.csphome.adc-e.uk",
  "aws-eusc": "signin.amazonaws-eusc.eu",
};

/**
 * Sign-In's host in `region`, as its endpoint rules build it: its own domain (`SIGNIN_DOMAINS`);
 * with FIPS or dual-stack asked the usual `signin[-fips].<region>.<suffix>`, except FIPS alone in
 * GovCloud: `signin-fips.amazonaws-us-gov.com` for us-gov-west-1, else `<region>.signin-fips.…`.
 * Where the rules refuse a partition without dual-stack (the ISO ones, EUSC), it is asked all the
 * same at its dual-stack suffix, as Bedrock is, and does not resolve.
 */
function signInUrl(region: string, partition: AwsPartition, fips: boolean, dualStack: boolean): string {
  if (fips && !dualStack && partition.name === "aws-us-gov")
    return region === "us-gov-west-1"
      ? "https://signin-fips.amazonaws-us-gov.com"
      : `https://${region}.signin-fips.amazonaws-us-gov.com`;
  if (fips || dualStack)
    return `https://${fips ? "signin-fips" : "signin"}.${region}.${dualStack ? partition.dualStackDnsSuffix : partition.dnsSuffix}`;
  return `https://${region}.${SIGNIN_DOMAINS[partition.name] ?? `signin.${partition.dnsSuffix}`}`;
}

/** Where a service is called, or why no call can be made (FIPS asked beside a custom endpoint). */
export type AwsEndpoint =
  | { readonly url: string; readonly refused?: undefined }
  | { readonly url?: undefined; readonly refused: string };

/**
 * Where `service` is called in `region`, as the AWS SDKs find it (AWS SDKs and Tools reference,
 * "Service-specific endpoints", https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html):
 * `own` (the provider's `base_url`), else a configured endpoint — `AWS_ENDPOINT_URL_<SERVICE>`,
 * else `AWS_ENDPOINT_URL`, else the profile's `services` section's `<service>.endpoint_url`, else
 * the profile's own `endpoint_url` — unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` (or the
 * profile's `ignore_configured_endpoint_urls`) is true; else AWS's host:
 * `https://<host>.<region>.<suffix>`, or with FIPS asked (`AWS_USE_FIPS_ENDPOINT`, else the
 * profile's `use_fips_endpoint`) `https://<host>-fips.<region>.<suffix>` — STS in GovCloud
 * `https://sts.<region>.amazonaws.com`, FIPS already — for any region, as the SDKs' endpoint rules
 * build it (where AWS has none the host does not resolve); `<suffix>` is the region's partition's
 * (aws-partition.ts: `amazonaws.com`, China's `amazonaws.com.cn`, the ISO partitions' own), or
 * with dual-stack asked (`AWS_USE_DUALSTACK_ENDPOINT`, else the profile's `use_dualstack_endpoint`)
 * its dual-stack one (`api.aws`, China's `api.amazonwebservices.com.cn`, …), GovCloud's STS then
 * `sts-fips` too; Sign-In its own hosts (`signInUrl`). FIPS or dual-stack beside a custom endpoint is refused, as the rules refuse it
 * ("Invalid Configuration: FIPS and custom endpoint are not supported", FIPS said first; "…
 * Dualstack and custom endpoint …"), and so is a setting that is neither `true` nor `false`, as
 * the JS SDK refuses it. The profile is the config file's (`profile`, else `AWS_PROFILE`, else
 * `default`). An empty value is unset: as to the SDKs for an endpoint URL, but not for
 * `AWS_USE_FIPS_ENDPOINT` or `AWS_USE_DUALSTACK_ENDPOINT`, where the JS SDK's `booleanSelector`
 * throws on an empty one (any value present but `true`/`false`); here an empty one falls through to
 * the profile's setting, as one left blank in a compose file means to. Read when asked: once a provider for Bedrock, at each
 * STS exchange (a credential refresh) for STS.
 */
export function awsEndpoint(
  service: AwsService,
  region: string,
  env: Env,
  profileName?: string,
  own?: string,
): AwsEndpoint {
  const file = configFile(env);
  const name = namedProfile(profileName, env);
  const profile = profileOf(file, name);
  const custom =
    own !== undefined
      ? { url: own, from: "base_url" }
      : configuredEndpoint(service, env, file, profile, name);
  const fips = asked(FIPS, env, profile, name);
  if (fips?.unreadable !== undefined) return { refused: fips.unreadable };
  const dualStack = asked(DUAL_STACK, env, profile, name);
  if (dualStack?.unreadable !== undefined) return { refused: dualStack.unreadable };
  // The rules' order: FIPS beside a custom endpoint is refused before dual-stack is.
  const clash = fips ?? dualStack;
  if (custom !== undefined)
    return clash
      ? {
          refused: `${clash.what} is asked (${clash.by}) beside a custom endpoint (${custom.from}): ${clash.what} and a custom endpoint are not supported together, as in the AWS SDKs`,
        }
      : { url: custom.url };
  const partition = awsPartition(region);
  if (service === SIGNIN) return { url: signInUrl(region, partition, !!fips, !!dualStack) };
  // GovCloud's STS is FIPS already on its IPv4 host, not on its dual-stack one (`sts-fips.…api.aws`).
  const fipsHost = fips && !(service === STS && partition.name === "aws-us-gov" && !dualStack);
  const suffix = dualStack ? partition.dualStackDnsSuffix : partition.dnsSuffix;
  return { url: `https://${fipsHost ? `${service.host}-fips` : service.host}.${region}.${suffix}` };
}

/** The profile as the settings it gives are named (`default` where none is named). */
const profileLabel = (name: string | undefined): string => `profile ${name ?? "default"}`;

/** A true-or-false endpoint setting: its environment variable, its profile key, and what it asks for. */
interface EndpointSwitch {
  readonly variable: "AWS_USE_FIPS_ENDPOINT" | "AWS_USE_DUALSTACK_ENDPOINT";
  readonly key: "use_fips_endpoint" | "use_dualstack_endpoint";
  readonly what: string;
}

const FIPS: EndpointSwitch = { variable: "AWS_USE_FIPS_ENDPOINT", key: "use_fips_endpoint", what: "FIPS" };
const DUAL_STACK: EndpointSwitch = {
  variable: "AWS_USE_DUALSTACK_ENDPOINT",
  key: "use_dualstack_endpoint",
  what: "Dual-stack",
};

/**
 * The setting that turns `on` on (the environment's when it says one, else the profile's), or why
 * it cannot be read; undefined where none does. Read as the AWS SDK for JavaScript reads it
 * (`booleanSelector` of @smithy/util-config-provider): `true` or `false` exactly, anything else
 * refused rather than taken for off, except an empty environment variable, taken for unset (the
 * SDK refuses it: see `awsEndpoint`).
 */
function asked(
  on: EndpointSwitch,
  env: Env,
  profile: AwsProfile | undefined,
  name: string | undefined,
): { what: string; by: string; unreadable?: undefined } | { unreadable: string } | undefined {
  const fromEnv = env[on.variable];
  const [by, value] = fromEnv
    ? [on.variable, fromEnv]
    : [`${on.key} of ${profileLabel(name)}`, profile?.[on.key]];
  if (!value || value === "false") return undefined;
  if (value === "true") return { what: on.what, by };
  return {
    unreadable: `${by} is ${JSON.stringify(value)}: expected "true" or "false", as the AWS SDKs read it`,
  };
}

/**
 * `service`'s configured endpoint (environment, then the shared config file) and the setting that
 * gives it; undefined where none is, or they are ignored.
 */
function configuredEndpoint(
  service: AwsService,
  env: Env,
  file: Map<string, AwsProfile>,
  profile: AwsProfile | undefined,
  name: string | undefined,
): { url: string; from: string } | undefined {
  if (setting(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, profile?.ignore_configured_endpoint_urls))
    return undefined;
  const own = `AWS_ENDPOINT_URL_${service.id}`;
  const fromOwn = env[own];
  if (fromOwn) return { url: fromOwn, from: own };
  if (env.AWS_ENDPOINT_URL) return { url: env.AWS_ENDPOINT_URL, from: "AWS_ENDPOINT_URL" };
  const key = `${service.id.toLowerCase()}.endpoint_url`;
  const fromServices = profile?.services ? file.get(`services.${profile.services}`)?.[key] : undefined;
  if (fromServices) return { url: fromServices, from: `${key} of [services ${profile?.services}]` };
  const fromProfile = profile?.endpoint_url;
  return fromProfile ? { url: fromProfile, from: `endpoint_url of ${profileLabel(name)}` } : undefined;
}

/** A true-or-false setting: the environment's when it says one, else the profile's. */
const setting = (fromEnv: string | undefined, fromProfile: string | undefined): boolean =>
  isTrue(fromEnv || fromProfile);

/** `true` in any case (botocore's reading; the JS SDK takes only `true` and `false`). */
const isTrue = (value: string | undefined): boolean => value?.toLowerCase() === "true";

/** The config file's profile `name` (`[profile NAME]`; the default one `[default]` or `[profile default]`). */
function profileOf(file: Map<string, AwsProfile>, name: string | undefined): AwsProfile | undefined {
  if (name !== undefined && name !== "default") return file.get(`profile.${name}`);
  return file.get("profile.default") ?? file.get("default");
}

/** The shared config file's sections, read now; none when it is missing or unreadable, as in the SDKs. */
function configFile(env: Env): Map<string, AwsProfile> {
  try {
    return parseIni(readFileSync(sharedFilePaths(env).configPath, "utf8"));
  } catch {
    return new Map();
  }
}
