import { isAbsolute, resolve } from "node:path";
import { isInline } from "../providers/google/credentials-file.ts";
import type { Config } from "./config-schema.ts";

type ProviderConfig = Config["providers"][number];

/**
 * A provider's credential files with a relative path put beside the config file, as the store's
 * are (load-config.ts): a vertex `service_account` that is a path (not inline JSON) and an azure
 * `entra.federated_token_file`. Read from the working directory, a gateway started from another
 * folder found no credentials and answered 502 to every call.
 */
export function providerPathsFrom(folder: string, provider: ProviderConfig): ProviderConfig {
  const beside = (path: string) => (isAbsolute(path) ? path : resolve(folder, path));
  const { service_account: account, entra } = provider;
  return {
    ...provider,
    ...(account === undefined || isInline(account) ? {} : { service_account: beside(account) }),
    ...(entra?.federated_token_file === undefined
      ? {}
      : { entra: { ...entra, federated_token_file: beside(entra.federated_token_file) } }),
  };
}
