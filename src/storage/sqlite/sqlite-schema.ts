import { adminActionMigrations } from "./admin-action-migrations.ts";
import { adminSessionMigrations } from "./admin-session-migrations.ts";
import { AUDIT_MIGRATIONS } from "./audit-migrations.ts";
import { keyMigrations, spendMigrations } from "./key-migrations.ts";
import type { Migration } from "./migrate.ts";
import { responseMigrations } from "./response-migrations.ts";
import { sealMigrations } from "./seal-migrations.ts";
import { shadowMigrations } from "./shadow-migrations.ts";

/** Every component this release migrates on a SQLite file, as opening the store applies them. */
export const SQLITE_SCHEMA: Readonly<Record<string, readonly Migration[]>> = {
  keys: keyMigrations,
  spend: spendMigrations,
  responses: responseMigrations,
  audit: AUDIT_MIGRATIONS,
  admin_actions: adminActionMigrations,
  admin_sessions: adminSessionMigrations,
  shadow: shadowMigrations,
  seal: sealMigrations,
};
