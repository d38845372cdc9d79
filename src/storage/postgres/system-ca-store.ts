/**
 * libpq's `sslrootcert=system`: the system's CA store, no file (Bun's client takes it too). A module
 * of its own, so that the config, which names it, loads without the PostgreSQL client.
 */
export const SYSTEM_CA_STORE = "system";
