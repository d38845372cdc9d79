import { namedProfile, profileSettings, readSharedFiles } from "./aws-shared-files.ts";

type Env = Record<string, string | undefined>;

const IPV4 = "http://169.254.169.254";
const IPV6 = "http://[fd00:ec2::254]";

/**
 * Where EC2 instance metadata is asked, as the AWS SDKs find it (@smithy/credential-provider-imds
 * getInstanceMetadataEndpoint): the endpoint (`AWS_EC2_METADATA_SERVICE_ENDPOINT`, else the
 * profile's `ec2_metadata_service_endpoint`), else the endpoint mode's address
 * (`AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE`, else the profile's
 * `ec2_metadata_service_endpoint_mode`): `IPv4`'s 169.254.169.254 (the default), `IPv6`'s
 * `[fd00:ec2::254]`, as an IPv6-only instance needs; any other mode refused, as the SDKs throw
 * "Unsupported endpoint mode". The profile is `profile:`, else `AWS_PROFILE`, else `default`, the
 * credentials file's under the config file's (smithy's loadConfig), read only when the environment
 * does not say. An empty variable is unset.
 */
export function instanceMetadataEndpoint(
  env: Env,
  profileName: string | undefined,
): { url: string; refused?: undefined } | { refused: string } {
  const fromEnv = env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
  if (fromEnv) return { url: fromEnv.replace(/\/+$/, "") };
  const name = namedProfile(profileName, env) ?? "default";
  const profile = profileSettings(readSharedFiles(env), name);
  const endpoint = profile?.ec2_metadata_service_endpoint;
  if (endpoint) return { url: endpoint.replace(/\/+$/, "") };
  const [by, mode] = env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE
    ? ["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE]
    : [`ec2_metadata_service_endpoint_mode of profile ${name}`, profile?.ec2_metadata_service_endpoint_mode];
  if (!mode || mode === "IPv4") return { url: IPV4 };
  if (mode === "IPv6") return { url: IPV6 };
  return { refused: `${by} is ${JSON.stringify(mode)}: expected IPv4 or IPv6, as the AWS SDKs read it` };
}
