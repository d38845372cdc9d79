import type { PostgresMigration } from "./postgres-migrate.ts";
import {
  adminActionMigrations,
  adminSessionMigrations,
  auditMigrations,
  clusterMigrations,
  keyMigrations,
  responseMigrations,
  sealMigrations,
  shadowMigrations,
  spendMigrations,
} from "./postgres-migrations.ts";

/** Every component this release migrates on PostgreSQL, as opening the store applies them. */
export const POSTGRES_SCHEMA: Readonly<Record<string, readonly PostgresMigration[]>> = {
  keys: keyMigrations,
  spend: spendMigrations,
  responses: responseMigrations,
  audit: auditMigrations,
  admin_actions: adminActionMigrations,
  admin_sessions: adminSessionMigrations,
  shadow: shadowMigrations,
  cluster: clusterMigrations,
  seal: sealMigrations,
};
