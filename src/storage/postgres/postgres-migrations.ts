// One list per component, as in SQLite, each in its own file beside its store.
export { adminActionMigrations } from "./postgres-admin-action-migrations.ts";
export { adminSessionMigrations } from "./postgres-admin-session-migrations.ts";
export { auditMigrations } from "./postgres-audit-migrations.ts";
export { clusterMigrations } from "./postgres-cluster-migrations.ts";
export { keyMigrations } from "./postgres-key-migrations.ts";
export { responseMigrations } from "./postgres-response-migrations.ts";
export { sealMigrations } from "./postgres-seal-migrations.ts";
export { shadowMigrations } from "./postgres-shadow-migrations.ts";
export { spendMigrations } from "./postgres-spend-migrations.ts";
