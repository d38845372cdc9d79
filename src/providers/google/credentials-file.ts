import { readFileSync } from "node:fs";
import { type ExternalAccount, parseExternalAccount } from "./external-account.ts";
import {
  type AuthorizedUser,
  authorizedUser,
  type ServiceAccountKey,
  serviceAccountKey,
} from "./service-account-key.ts";

/** A Google credentials JSON (a file path or inline JSON) and how a message names it. */
export interface CredentialsFile {
  readonly source: string;
  /**
   * `the GOOGLE_APPLICATION_CREDENTIALS file`, `the inline service_account`: a call's failure says
   * this, never the path (a home directory names its user); the log and `config check` add it.
   */
  readonly label: string;
}

/** The label with the file's path, for the log and `config check`. */
const withPath = (file: CredentialsFile) =>
  isInline(file.source) ? file.label : `${file.label} ${file.source}`;

/** What a credentials file holds that the gateway can get a token with, by its `type`. */
export type GoogleCredentials =
  | { readonly type: "service_account"; readonly key: ServiceAccountKey }
  | { readonly type: "authorized_user"; readonly user: AuthorizedUser }
  | { readonly type: "external_account"; readonly account: ExternalAccount };

/** A value that is the JSON itself, not a path to it. */
export const isInline = (source: string) => source.trimStart().startsWith("{");

/**
 * The types Google's libraries take that the gateway does not, and what to use instead: said
 * rather than read as a service-account key without one.
 */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  external_account_authorized_user:
    "external_account_authorized_user credentials (workforce identity federation) are not supported; use `gcloud auth application-default login` with a Google account, a service-account key, or the metadata server",
  impersonated_service_account:
    "impersonated_service_account credentials are not supported; use the service account's own key, or run as it where the metadata server serves its token",
};

/**
 * The credentials in `json`, dispatched on `type` as Google's libraries do: `authorized_user`,
 * `external_account` (workload identity federation: external-account.ts), or a service-account key (`service_account`, or no type at all, as the gateway has always read one).
 * A string: why it is none the gateway can use.
 */
export function parseCredentials(json: unknown, label: string): GoogleCredentials | string {
  const type =
    typeof json === "object" && json !== null && "type" in json && typeof json.type === "string"
      ? json.type
      : undefined;
  if (type === "authorized_user") {
    const parsed = authorizedUser.safeParse(json);
    return parsed.success
      ? { type, user: parsed.data }
      : `${label} is no authorized_user credential (it needs client_id, client_secret and refresh_token)`;
  }
  if (type === "external_account" && typeof json === "object" && json !== null) {
    const account = parseExternalAccount(json, label);
    return typeof account === "string" ? account : { type, account };
  }
  if (type !== undefined && type !== "service_account")
    return `${label} is of type ${type}: ${UNSUPPORTED[type] ?? "only service_account and authorized_user are supported"}`;
  const parsed = serviceAccountKey.safeParse(json);
  return parsed.success
    ? { type: "service_account", key: parsed.data }
    : `${label} is no service-account key (it needs client_email and private_key)`;
}

/** Reads the credentials of `file` for a call: a string when it holds none usable. */
export async function loadCredentials(file: CredentialsFile): Promise<GoogleCredentials | string> {
  let text: string;
  try {
    text = isInline(file.source) ? file.source : await Bun.file(file.source).text();
  } catch (error) {
    return unreadable(file.label, error);
  }
  return parsedText(text, file.label);
}

/**
 * What keeps `file` from holding credentials a token can be got with, read now (config check and
 * the gateway's start warn of it; calls read the file on first use): undefined when it holds some.
 */
export function credentialsProblem(file: CredentialsFile): string | undefined {
  let text: string;
  try {
    text = isInline(file.source) ? file.source : readFileSync(file.source, "utf8");
  } catch (error) {
    return unreadable(withPath(file), error);
  }
  const credentials = parsedText(text, withPath(file));
  return typeof credentials === "string" ? credentials : undefined;
}

function parsedText(text: string, label: string): GoogleCredentials | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return `${label} is not JSON`;
  }
  return parseCredentials(json, label);
}

const unreadable = (label: string, error: unknown) =>
  `${label} ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : "cannot be read"}`;
