import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

type Env = Record<string, string | undefined>;

/** One profile's settings (`aws_access_key_id`, `role_arn`, `region`, …). */
export type AwsProfile = Readonly<Record<string, string>>;

/** The shared config and credentials files, read: where they are, and their profiles merged. */
export interface AwsSharedFiles {
  readonly configPath: string;
  readonly credentialsPath: string;
  readonly profiles: ReadonlyMap<string, AwsProfile>;
  /** The config file's alone: its settings win for what is not a credential (`region`). */
  readonly configProfiles: ReadonlyMap<string, AwsProfile>;
}

/**
 * The profile named in config (`profile:`) or by `AWS_PROFILE`; undefined when neither names one
 * (the `default` profile is then read, but only as one step of the chain: aws-credentials.ts).
 */
export const namedProfile = (configured: string | undefined, env: Env): string | undefined =>
  configured || env.AWS_PROFILE || undefined;

/**
 * A profile's settings as the AWS SDKs' loadConfig reads them (@smithy/node-config-provider
 * fromSharedConfigFiles, its preferred file the config file): the credentials file's under the
 * config file's; undefined when neither file has the profile.
 */
export function profileSettings(files: AwsSharedFiles, name: string): AwsProfile | undefined {
  const both = files.profiles.get(name);
  return both === undefined ? undefined : { ...both, ...files.configProfiles.get(name) };
}

/** The home directory the AWS SDKs look in for `.aws`: `HOME`, else `USERPROFILE`, else the OS's. */
export const awsHome = (env: Env): string => env.HOME || env.USERPROFILE || homedir();

/**
 * Where the files are, as the AWS SDKs look (@smithy/shared-ini-file-loader): `AWS_CONFIG_FILE`
 * and `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` and `~/.aws/credentials`; a leading `~/`
 * is the home directory (`HOME`).
 */
export function sharedFilePaths(env: Env): { configPath: string; credentialsPath: string } {
  const home = awsHome(env);
  const expand = (path: string) => (path.startsWith("~/") ? join(home, path.slice(2)) : path);
  return {
    configPath: expand(env.AWS_CONFIG_FILE || join(home, ".aws", "config")),
    credentialsPath: expand(env.AWS_SHARED_CREDENTIALS_FILE || join(home, ".aws", "credentials")),
  };
}

/** Both files, read now (a missing or unreadable one holds no profile, as in the SDKs). */
export function readSharedFiles(env: Env): AwsSharedFiles {
  const paths = sharedFilePaths(env);
  const text = (path: string) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return "";
    }
  };
  const configText = text(paths.configPath);
  return {
    ...paths,
    profiles: mergedProfiles(configText, text(paths.credentialsPath)),
    configProfiles: mergedProfiles(configText, ""),
  };
}

/**
 * The profiles of both files, the credentials file's settings over the config file's for a profile
 * in both. The config file's are `[profile NAME]` and `[default]` (`[profile default]` too); the
 * credentials file's are `[NAME]`.
 */
export function mergedProfiles(configText: string, credentialsText: string): Map<string, AwsProfile> {
  const merged = new Map<string, Record<string, string>>();
  const config = parseIni(configText);
  const add = (name: string, values: Record<string, string>) =>
    merged.set(name, { ...merged.get(name), ...values });
  const plainDefault = config.get("default");
  if (plainDefault) add("default", plainDefault);
  for (const [section, values] of config)
    if (section.startsWith("profile.")) merged.set(section.slice(8), values);
  for (const [section, values] of parseIni(credentialsText)) add(section, values);
  return merged;
}

/** `[profile NAME]`, `[sso-session NAME]`, `[services NAME]`: sections with a kind. */
const PREFIXED = /^([\w-]+)\s(["'])?([\w\-@+.%:/]+)\2$/;
const KINDS = new Set(["profile", "sso-session", "services"]);

/**
 * An INI file as the AWS SDKs read it (@smithy/shared-ini-file-loader parseIni): `#` and `;`
 * comments at a line's start or after a space, `key = value`, and a key with no value opening a
 * nested block of indented `key = value` lines (read as `parent.key`). A prefixed section is named
 * `kind.NAME`.
 */
export function parseIni(text: string): Map<string, Record<string, string>> {
  const sections = new Map<string, Record<string, string>>();
  let section: string | undefined;
  let nested: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const trimmed = (line.split(/(^|\s)[;#]/)[0] ?? "").trim();
    if (trimmed.startsWith("[") && trimmed.endsWith("]")) {
      const name = trimmed.slice(1, -1);
      const prefixed = PREFIXED.exec(name);
      section = prefixed
        ? KINDS.has(prefixed[1] ?? "")
          ? `${prefixed[1]}.${prefixed[3]}`
          : undefined
        : name;
      nested = undefined;
      continue;
    }
    const equals = trimmed.indexOf("=");
    if (section === undefined || equals <= 0) continue;
    const key = trimmed.slice(0, equals).trim();
    const value = trimmed.slice(equals + 1).trim();
    if (value === "") {
      nested = key;
      continue;
    }
    if (nested !== undefined && line.trimStart() === line) nested = undefined;
    // No prototype: a key named `__proto__` is a key.
    const values = sections.get(section) ?? (Object.create(null) as Record<string, string>);
    values[nested === undefined ? key : `${nested}.${key}`] = value;
    sections.set(section, values);
  }
  return sections;
}
