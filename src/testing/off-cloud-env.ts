/**
 * An address on loopback where nothing listens: a credential endpoint pointed here is refused at
 * once. Port 9 (discard) is below the ephemeral range, so no test's server is given it.
 */
export const NOTHING_LISTENS = "127.0.0.1:9";

/**
 * A file that is always there and always empty, and a folder nothing can be in: where the cloud
 * SDKs' shared files are looked for, so none of the host's is read.
 */
const NO_FILE = "/dev/null";

/**
 * The environment every process a test starts runs in, set on the test process itself by the
 * preload (bunfig.toml, keep-off-cloud.ts) so that in-process gateways and every child started on
 * `process.env` inherit it. The suite runs on hosts that may be cloud VMs, and a cloud route
 * without credentials ends its chain at the host's metadata service: it must find loopback
 * nothing there instead. Nor does it find the host's own credentials (a developer's ~/.aws or
 * gcloud login, exported static keys, a pod's workload identity). A test that means to reach a
 * fake endpoint, or to read a profile or keys, sets its own variables over these. An empty value
 * is unset to the product, as to the cloud SDKs.
 */
export const OFF_CLOUD_ENV: Readonly<Record<string, string>> = {
  // Static keys a developer exports: else a Bedrock route signs a real call to AWS with them.
  AWS_ACCESS_KEY_ID: "",
  AWS_SECRET_ACCESS_KEY: "",
  AWS_SESSION_TOKEN: "",
  AWS_BEARER_TOKEN_BEDROCK: "",
  AWS_ROLE_ARN: "",
  AZURE_TENANT_ID: "",
  AZURE_CLIENT_ID: "",
  AZURE_CLIENT_SECRET: "",
  GEMINI_API_KEY: "",
  GOOGLE_API_KEY: "",
  // AWS: the chain's last step off (its failure says so), and pointed at nothing were it turned on.
  AWS_EC2_METADATA_DISABLED: "true",
  AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://${NOTHING_LISTENS}`,
  // The endpoint above wins over a mode (ec2-metadata-endpoint.ts): emptied all the same, as read.
  AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "",
  // ECS's and EKS Pod Identity's endpoint, announced by a host that runs in a task or a pod.
  AWS_CONTAINER_CREDENTIALS_FULL_URI: "",
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "",
  // EKS's web identity (IRSA), exchanged at the real STS; the shared files instead of ~/.aws,
  // and no profile named (an empty value is unset to the chain, as to the AWS SDKs).
  AWS_WEB_IDENTITY_TOKEN_FILE: "",
  AWS_CONFIG_FILE: NO_FILE,
  AWS_SHARED_CREDENTIALS_FILE: NO_FILE,
  AWS_PROFILE: "",
  AWS_ROLE_SESSION_NAME: "",
  // A host's own ECS token, else a test's fake container endpoint would be handed it.
  AWS_CONTAINER_AUTHORIZATION_TOKEN: "",
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: "",
  // Settings that change where a call goes or how it is made: LocalStack's AWS_ENDPOINT_URL, a
  // FIPS runner's AWS_USE_FIPS_ENDPOINT, an IPv6 runner's AWS_USE_DUALSTACK_ENDPOINT, a shell's AWS_REGION (a test of "no region" says none).
  // Every AWS_*, Azure and Google setting the gateway reads is here (test/suite-rules.test.ts).
  AWS_REGION: "",
  AWS_ENDPOINT_URL: "",
  AWS_ENDPOINT_URL_BEDROCK_RUNTIME: "",
  AWS_ENDPOINT_URL_STS: "",
  AWS_ENDPOINT_URL_SIGNIN: "",
  // `aws login`'s session cache (else ~/.aws/login/cache): a folder nothing is in.
  AWS_LOGIN_CACHE_DIRECTORY: NO_FILE,
  AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "",
  AWS_USE_FIPS_ENDPOINT: "",
  AWS_USE_DUALSTACK_ENDPOINT: "",
  AWS_EC2_METADATA_V1_DISABLED: "",
  // Google: the metadata server is asked whatever the residency check says; the check told
  // "not Google Cloud", as the start's warnings on an ordinary host say (GCE_METADATA_HOST alone
  // would make every host look like Google Cloud). No ADC file: none named, and gcloud's folder
  // (else ~/.config/gcloud) one that holds nothing.
  GCE_METADATA_HOST: NOTHING_LISTENS,
  GCE_METADATA_IP: "",
  MINDGW_ON_GOOGLE_CLOUD: "false",
  GOOGLE_APPLICATION_CREDENTIALS: "",
  // Billed to the host's project (x-goog-user-project) else, with application default credentials.
  GOOGLE_CLOUD_QUOTA_PROJECT: "",
  CLOUDSDK_CONFIG: NO_FILE,
  // Azure: IMDS through Azure Identity's own override, and no App Service endpoint or AKS
  // workload identity (exchanged at the real Entra ID) of the host's.
  AZURE_POD_IDENTITY_AUTHORITY_HOST: `http://${NOTHING_LISTENS}`,
  IDENTITY_ENDPOINT: "",
  IDENTITY_HEADER: "",
  IDENTITY_SERVER_THUMBPRINT: "",
  // A sovereign cloud's Entra host (login.chinacloudapi.cn) in place of the public one.
  AZURE_AUTHORITY_HOST: "",
  AZURE_FEDERATED_TOKEN_FILE: "",
};

/** Which of this process's variables a child inherits (`childEnv`). */
export type Inherit = (name: string) => boolean;

/** Only PATH: a child that must see none of this process's own variables (its HOME, MINDGW_*). */
export const onlyPath: Inherit = (name) => name === "PATH";

/** All but the gateway's own settings and OpenTelemetry's (MINDGW_*, OTEL_*) of this process. */
export const noSettings: Inherit = (name) => !/^(MINDGW|OTEL)_/.test(name);

/**
 * The environment for a process a test starts: this process's (those `inherit` keeps, all by
 * default), the off-cloud one over it, and `overrides` over both (a name given `undefined` is
 * left out). Bun.spawn without `env` passes the environment the test process started with, not
 * `process.env` as the preload left it, and an environment built from nothing has none of the
 * off-cloud one, so every spawn of the gateway, a worker or a `bun` child passes this
 * (test/suite-rules.test.ts).
 */
export function childEnv(
  overrides: Readonly<Record<string, string | undefined>> = {},
  inherit: Inherit = () => true,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined && inherit(name)) env[name] = value;
  Object.assign(env, OFF_CLOUD_ENV);
  for (const [name, value] of Object.entries(overrides))
    if (value === undefined) delete env[name];
    else env[name] = value;
  return env;
}
