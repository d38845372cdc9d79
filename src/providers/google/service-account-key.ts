import { readFileSync } from "node:fs";
import { z } from "zod";

/** The fields of a Google service-account key file (JSON) that signing needs. */
export const serviceAccountKey = z.looseObject({
  client_email: z.string(),
  private_key: z.string(),
  private_key_id: z.string().optional(),
  token_uri: z.string().default("https://oauth2.googleapis.com/token"),
});
export type ServiceAccountKey = z.infer<typeof serviceAccountKey>;

/** A `service_account` value that is the key itself (inline JSON), not a path to it. */
const isInline = (source: string) => source.trimStart().startsWith("{");

/** Reads a service-account key from inline JSON or a file path. */
export async function loadServiceAccountKey(source: string): Promise<ServiceAccountKey> {
  const text = isInline(source) ? source : await Bun.file(source).text();
  return serviceAccountKey.parse(JSON.parse(text));
}

/**
 * What keeps `source` from being a key a token can be signed with, read now (config check and the
 * gateway's start warn of it; calls read the key on first use): undefined when it is one.
 */
export function serviceAccountProblem(source: string): string | undefined {
  const inline = isInline(source);
  let text = source;
  if (!inline) {
    try {
      text = readFileSync(source, "utf8");
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
      return `the service-account key file ${source} ${missing ? "does not exist" : "cannot be read"}`;
    }
  }
  const what = inline ? "the inline service_account" : `the service-account key file ${source}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return `${what} is not JSON`;
  }
  return serviceAccountKey.safeParse(parsed).success
    ? undefined
    : `${what} is no service-account key (it needs client_email and private_key)`;
}
