import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../config/load-config.ts";
import { recordingLogger } from "../testing/recording-logger.ts";
import {
  missingCredentials,
  missingCredentialsWarning,
  reloadMissingCredentials,
  warnMissingCredentials,
} from "./missing-credentials.ts";

const dir = mkdtempSync(join(tmpdir(), "mindgw-missing-credentials-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEY = JSON.stringify({ client_email: "a@b.iam", private_key: "-----BEGIN PRIVATE KEY-----" });
const keyFile = join(dir, "sa.json");
writeFileSync(keyFile, KEY);

const configOf = (...providers: object[]) =>
  parseConfig(
    {
      providers,
      models: providers.map((p) => ({
        name: `m-${(p as { name: string }).name}`,
        allow_unpriced: true,
        routes: [{ provider: (p as { name: string }).name, model: "x" }],
      })),
    },
    {},
  );
const vertex = (name: string, service_account?: string) => ({
  name,
  type: "vertex",
  project: "pr",
  location: "us-central1",
  ...(service_account === undefined ? {} : { service_account }),
});

test("each cloud provider without usable credentials, named with its routes and what is missing", () => {
  const config = configOf(
    vertex("v-none"),
    vertex("v-gone", "/nonexistent/sa.json"),
    vertex("v-inline", '{"client_email":"a"}'),
    vertex("v-file", keyFile),
    vertex("v-inline-ok", KEY),
    { name: "az", type: "azure", base_url: "https://r.openai.azure.com", api_version: "2024-10-21" },
    {
      name: "az-key",
      type: "azure",
      base_url: "https://r.openai.azure.com",
      api_version: "v1",
      api_key: "k",
    },
    { name: "gm", type: "gemini" },
    { name: "gm-key", type: "gemini", api_key: "k" },
    { name: "mock", type: "mock" },
  );
  // Not on Google Cloud (told, not read from this host's BIOS), and no home directory.
  const found = missingCredentials(config, {}, () => false);
  expect(found.map((f) => [f.provider, f.missing])).toEqual([
    [
      "v-none",
      "no service_account in config, GOOGLE_APPLICATION_CREDENTIALS unset, no gcloud application default credentials file, and this host does not look like Google Cloud (no metadata server to ask)",
    ],
    ["v-gone", "the service_account file /nonexistent/sa.json does not exist"],
    [
      "v-inline",
      "the inline service_account is no service-account key (it needs client_email and private_key)",
    ],
    [
      "az",
      "neither api_key nor entra in config, and the environment has no Entra identity (AZURE_TENANT_ID and AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE, or IDENTITY_ENDPOINT and IDENTITY_HEADER): its calls ask Azure IMDS, there only on an Azure VM, scale set or AKS node (entra: { managed_identity: true } says this is one)",
    ],
    ["gm", "no api_key in config and GEMINI_API_KEY is unset"],
  ]);
  expect(missingCredentialsWarning(found[0] as (typeof found)[number])).toBe(
    "warning: provider v-none (vertex) has no usable credentials: no service_account in config, GOOGLE_APPLICATION_CREDENTIALS unset, no gcloud application default credentials file, and this host does not look like Google Cloud (no metadata server to ask); its calls will answer 502 (model m-v-none (route v-none/x))",
  );
});

test("vertex with nothing configured: no warning where the metadata server may serve its token, or gcloud's ADC file is there; the file's path said when it is not", () => {
  const config = configOf(vertex("v"));
  const onGcp = (env: Record<string, string | undefined>) => env.K_SERVICE !== undefined;
  expect(missingCredentials(config, { K_SERVICE: "gw" }, onGcp)).toEqual([]);
  const home = join(dir, "home");
  const adc = join(home, ".config", "gcloud", "application_default_credentials.json");
  expect(missingCredentials(config, { HOME: home }, onGcp)[0]?.missing).toBe(
    `no service_account in config, GOOGLE_APPLICATION_CREDENTIALS unset, no gcloud application default credentials file (looked for ${adc}), and this host does not look like Google Cloud (no metadata server to ask)`,
  );
  mkdirSync(join(home, ".config", "gcloud"), { recursive: true });
  writeFileSync(
    adc,
    JSON.stringify({ type: "authorized_user", client_id: "c", client_secret: "s", refresh_token: "r" }),
  );
  expect(missingCredentials(config, { HOME: home }, onGcp)).toEqual([]);
  // A file of a type the gateway does not take is warned of wherever it runs.
  writeFileSync(adc, JSON.stringify({ type: "impersonated_service_account" }));
  expect(missingCredentials(config, { HOME: home, K_SERVICE: "gw" }, onGcp)[0]?.missing).toStartWith(
    `gcloud's application default credentials file ${adc} is of type impersonated_service_account: impersonated_service_account credentials are not supported`,
  );
  // So is an external_account from a source it does not take, or one missing what it needs.
  writeFileSync(
    adc,
    JSON.stringify({
      type: "external_account",
      audience: "a",
      subject_token_type: "urn:ietf:params:aws:token-type:aws4_request",
      credential_source: { environment_id: "aws1" },
    }),
  );
  expect(missingCredentials(config, { HOME: home, K_SERVICE: "gw" }, onGcp)[0]?.missing).toStartWith(
    `gcloud's application default credentials file ${adc} is an external_account sourced from AWS (credential_source.environment_id aws1), which is not supported`,
  );
  writeFileSync(adc, JSON.stringify({ type: "external_account", audience: "a" }));
  expect(missingCredentials(config, { HOME: home, K_SERVICE: "gw" }, onGcp)[0]?.missing).toBe(
    `gcloud's application default credentials file ${adc} is no external_account credential (it needs audience, subject_token_type and credential_source)`,
  );
});

test("credentials from the environment count: GOOGLE_APPLICATION_CREDENTIALS, GEMINI_API_KEY, AZURE_*", () => {
  const config = configOf(
    vertex("v"),
    { name: "gm", type: "gemini" },
    {
      name: "az",
      type: "azure",
      base_url: "https://r.openai.azure.com",
      api_version: "v1",
    },
  );
  const env = {
    GOOGLE_APPLICATION_CREDENTIALS: keyFile,
    GEMINI_API_KEY: "k",
    AZURE_TENANT_ID: "t",
    AZURE_CLIENT_ID: "c",
    AZURE_CLIENT_SECRET: "s",
  };
  expect(missingCredentials(config, env, () => false)).toEqual([]);
  expect(
    missingCredentials(config, { GOOGLE_APPLICATION_CREDENTIALS: join(dir, "missing.json") })[0]?.missing,
  ).toBe(`the GOOGLE_APPLICATION_CREDENTIALS file ${join(dir, "missing.json")} does not exist`);
});

test("an Entra workload identity whose federated token file is not there, from config or the environment, is named", () => {
  const azure = (name: string, entra?: object) => ({
    name,
    type: "azure",
    base_url: "https://r.openai.azure.com",
    api_version: "v1",
    ...(entra ? { entra } : {}),
  });
  const absent = join(dir, "azure-identity-token");
  const config = configOf(
    azure("az-config", { tenant_id: "t", client_id: "c", federated_token_file: absent }),
    azure("az-env"),
    azure("az-present", { tenant_id: "t", client_id: "c", federated_token_file: keyFile }),
    azure("az-managed", { managed_identity: true }),
  );
  const env = { AZURE_TENANT_ID: "t", AZURE_CLIENT_ID: "c", AZURE_FEDERATED_TOKEN_FILE: absent };
  expect(missingCredentials(config, env).map((f) => [f.provider, f.missing])).toEqual([
    ["az-config", `the federated token file ${absent} does not exist`],
    ["az-env", `the federated token file ${absent} does not exist`],
  ]);
});

test("a Bedrock profile named in config or by AWS_PROFILE that gives no credentials is named, with who named it", () => {
  const bedrock = (name: string, more: object = {}) => ({
    name,
    type: "bedrock",
    region: "us-east-1",
    ...more,
  });
  const AWS_CONFIG_FILE = join(dir, "aws-config");
  const AWS_SHARED_CREDENTIALS_FILE = join(dir, "aws-credentials");
  writeFileSync(AWS_CONFIG_FILE, "[profile region-only]\nregion = eu-west-1\n");
  writeFileSync(AWS_SHARED_CREDENTIALS_FILE, "[prod]\naws_access_key_id = A\naws_secret_access_key = s\n");
  const where = `${AWS_CONFIG_FILE} or ${AWS_SHARED_CREDENTIALS_FILE}`;
  const config = configOf(
    bedrock("br-gone", { profile: "gone" }),
    bedrock("br-region", { profile: "region-only" }),
    bedrock("br-prod", { profile: "prod" }),
    bedrock("br-env"),
    bedrock("br-keys", { aws: { access_key_id: "A", secret_access_key: "s" } }),
  );
  const env = { AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE: "typo" };
  expect(missingCredentials(config, env).map((f) => [f.provider, f.missing])).toEqual([
    ["br-gone", `no AWS profile gone in ${where} (named by profile: in config)`],
    [
      "br-region",
      `the AWS profile region-only in ${where} has no credentials (aws_access_key_id and aws_secret_access_key, role_arn with source_profile or credential_source, role_arn with web_identity_token_file, credential_process, or login_session) (named by profile: in config)`,
    ],
    ["br-env", `no AWS profile typo in ${where} (named by AWS_PROFILE)`],
  ]);
  // No region anywhere: said, with the profile looked in.
  const noRegion = configOf({ name: "br-nowhere", type: "bedrock", profile: "prod" });
  expect(missingCredentials(noRegion, env).map((f) => f.missing)).toEqual([
    "no region: in config, AWS_REGION unset, and no region in the profile (prod)",
  ]);
  // No profile named: the default one is only a step of the chain, and no warning is owed.
  expect(missingCredentials(config, { AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE }).length).toBe(2);
});

test("a reload warns of the providers without credentials it adds or changes, not of those unchanged since the last warning", () => {
  const none = {};
  const gemini = (name: string, extra: object = {}) => ({ name, type: "gemini", ...extra });
  const before = configOf(gemini("g-old"), { name: "demo", type: "mock" });
  const after = configOf(gemini("g-old"), gemini("g-new"), gemini("g-keyed", { api_key: "k" }), {
    name: "demo",
    type: "mock",
  });
  expect(reloadMissingCredentials(before, after, none).map((found) => found.provider)).toEqual(["g-new"]);
  // g-old given a timeout of its own: configured anew, so warned of again.
  const changed = configOf(gemini("g-old", { timeouts: { connect: "5s" } }));
  expect(reloadMissingCredentials(before, changed, none).map((found) => found.provider)).toEqual(["g-old"]);
  expect(reloadMissingCredentials(before, before, none)).toEqual([]);
});

test("a Bedrock provider without a region, or asked FIPS beside a custom endpoint, is said to be unable to call AWS, not to lack credentials", () => {
  const keys = { aws: { access_key_id: "A", secret_access_key: "s" } };
  const config = configOf(
    { name: "br-nowhere", type: "bedrock", ...keys },
    {
      name: "br-fips",
      type: "bedrock",
      region: "us-east-1",
      base_url: "https://bedrock.internal.example",
      ...keys,
    },
  );
  const env = { AWS_CONFIG_FILE: join(dir, "no-aws-config"), AWS_USE_FIPS_ENDPOINT: "true" };
  const found = missingCredentials(config, env);
  // Before: "has no usable credentials: FIPS is asked …", though its credentials were fine.
  expect(found.map(missingCredentialsWarning)).toEqual([
    "warning: provider br-nowhere (bedrock) cannot call AWS: no region: in config, AWS_REGION unset, and no region in the profile (default); its calls will answer 502 (model m-br-nowhere (route br-nowhere/x))",
    "warning: provider br-fips (bedrock) cannot call AWS: FIPS is asked (AWS_USE_FIPS_ENDPOINT) beside a custom endpoint (base_url): FIPS and a custom endpoint are not supported together, as in the AWS SDKs; its calls will answer 502 (model m-br-fips (route br-fips/x))",
  ]);
  const { logger, lines } = recordingLogger();
  warnMissingCredentials(logger, found);
  expect(lines.map((line) => line.message)).toEqual([
    "provider cannot call AWS: its calls will answer 502",
    "provider cannot call AWS: its calls will answer 502",
  ]);
});

test("a Bedrock provider whose credential chain ends at EC2 instance metadata, with an endpoint mode the AWS SDKs refuse, is said to have no usable credentials; one whose chain stops before it is not", () => {
  const config = configOf({ name: "br-imds", type: "bedrock", region: "us-east-1" });
  const modeInProfile = join(dir, "imds-aws-config");
  writeFileSync(modeInProfile, "[default]\nec2_metadata_service_endpoint_mode = IPv5\n");
  const noFiles = {
    AWS_CONFIG_FILE: join(dir, "no-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, "no-aws-credentials"),
  };
  const warned = (env: Record<string, string | undefined>) =>
    missingCredentials(config, env).map(missingCredentialsWarning);
  const said = (why: string) =>
    `warning: provider br-imds (bedrock) has no usable credentials: EC2 instance metadata, where its credentials are got, cannot be asked: ${why}: expected IPv4 or IPv6, as the AWS SDKs read it; its calls will answer 502 (model m-br-imds (route br-imds/x))`;
  // Before: nothing said, and every call a 502 at its first credential fetch.
  expect(warned({ ...noFiles, AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "IPv5" })).toEqual([
    said('AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE is "IPv5"'),
  ]);
  // The default profile's mode, read when the environment says none (the profile gives no credentials).
  expect(warned({ ...noFiles, AWS_CONFIG_FILE: modeInProfile })).toEqual([
    said('ec2_metadata_service_endpoint_mode of profile default is "IPv5"'),
  ]);
  // The chain stops before instance metadata (keys, the container endpoint), it is turned off, or
  // the mode is one the SDKs take: nothing said.
  for (const more of [
    { AWS_ACCESS_KEY_ID: "A", AWS_SECRET_ACCESS_KEY: "s" },
    { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2/credentials/t" },
    { AWS_EC2_METADATA_DISABLED: "true" },
    { AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "IPv6" },
  ])
    expect(warned({ ...noFiles, AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "IPv5", ...more })).toEqual([]);
});
