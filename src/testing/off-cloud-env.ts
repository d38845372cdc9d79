/**
 * An address on loopback where nothing listens: a credential endpoint pointed here is refused at
 * once. Port 9 (discard) is below the ephemeral range, so no test's server is given it.
 */
export const NOTHING_LISTENS = "127.0.0.1:9";

/**
 * The environment every process a test starts runs in, set on the test process itself by the
 * preload (bunfig.toml, keep-off-cloud.ts) so that in-process gateways and every child started on
 * `process.env` inherit it. The suite runs on hosts that may be cloud VMs, and a cloud route
 * without credentials ends its chain at the host's metadata service: it must find loopback
 * nothing there instead. A test that means to reach a fake endpoint sets its own variables over
 * these.
 */
export const OFF_CLOUD_ENV: Readonly<Record<string, string>> = {
  // AWS: the chain's last step off (its failure says so), and pointed at nothing were it turned on.
  AWS_EC2_METADATA_DISABLED: "true",
  AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://${NOTHING_LISTENS}`,
  // ECS's and EKS Pod Identity's endpoint, announced by a host that runs in a task or a pod.
  AWS_CONTAINER_CREDENTIALS_FULL_URI: "",
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "",
  // Google: the metadata server is asked whatever the residency check says; the check told
  // "not Google Cloud", as the start's warnings on an ordinary host say (GCE_METADATA_HOST alone
  // would make every host look like Google Cloud).
  GCE_METADATA_HOST: NOTHING_LISTENS,
  MINDGW_ON_GOOGLE_CLOUD: "false",
  // Azure: IMDS through Azure Identity's own override, and no App Service endpoint of the host's.
  AZURE_POD_IDENTITY_AUTHORITY_HOST: `http://${NOTHING_LISTENS}`,
  IDENTITY_ENDPOINT: "",
  IDENTITY_HEADER: "",
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
