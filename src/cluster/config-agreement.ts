import type { Config } from "../config/config-schema.ts";
import { RELEASE } from "../core/build-commit.ts";
import type { Logger } from "../log/logger.ts";
import { configFingerprint } from "./config-fingerprint.ts";
import type { NodeConfig, NodeEntry } from "./node-entry.ts";

/** A node whose config fingerprint differs from this node's. */
export interface ConfigDisagreement {
  node: string;
  version: number;
  fingerprint: string;
}

/** A live node of another release: its config is not compared with this node's. */
export interface OtherRelease {
  node: string;
  /** Its `NodeEntry.release`; null: a release that did not say (the one before releases were published). */
  release: string | null;
}

/** The config agreement as `/readyz` shows it. */
export interface PublicAgreement {
  version: number;
  /** Every live node of this node's release runs the same config. */
  agrees: boolean;
  disagreeing: { node: string; version: number }[];
  /**
   * How many live nodes run another release (their configs not compared): a count, not which
   * release each runs — a build's version and commit are for the authenticated status alone.
   */
  other_release_nodes: number;
}

/**
 * This node's config version and fingerprint, and which live nodes run a different one. Nodes do
 * not push config to each other: each reloads its own source when told another node changed, so
 * nodes whose files differ keep running different configs. That is shown (readyz, admin status,
 * node directory) and logged once per change of who disagrees, never silently reconciled.
 */
export class ConfigAgreement {
  private current: NodeConfig;
  private disagreeing: ConfigDisagreement[] = [];
  private otherReleases: OtherRelease[] = [];
  private lastLogged = "";
  private lastLoggedReleases = "";

  constructor(
    private readonly nodeId: string,
    config: Config,
    private readonly logger: Logger,
  ) {
    this.current = { version: 1, fingerprint: configFingerprint(config) };
  }

  /** The config this node runs now. */
  runs(): NodeConfig {
    return this.current;
  }

  applied(config: Config, version: number): NodeConfig {
    this.current = { version, fingerprint: configFingerprint(config) };
    return this.current;
  }

  /** Live nodes of this node's release (by the last directory read) whose config differs from this node's. */
  disagreements(): readonly ConfigDisagreement[] {
    return this.disagreeing;
  }

  /** Live nodes of another release (by the last directory read): their configs are not compared. */
  others(): readonly OtherRelease[] {
    return this.otherReleases;
  }

  /**
   * What anyone may see (`/readyz`, unauthenticated): whether the nodes agree and who does not,
   * with no digest of the config, which only `/admin/api/status` shows (config-fingerprint.ts).
   */
  openly(): PublicAgreement {
    return {
      version: this.current.version,
      agrees: this.disagreeing.length === 0,
      disagreeing: this.disagreeing.map(({ node, version }) => ({ node, version })),
      other_release_nodes: this.otherReleases.length,
    };
  }

  /**
   * Compares with a fresh directory read; logs when the set of disagreeing nodes changes. Only
   * nodes of this node's release are compared: a fingerprint digests the whole config, defaults
   * filled in, and another release fills in its own (and may run the same file differently). The
   * others are listed apart (`others`), and logged when their set changes.
   */
  observe(entries: readonly NodeEntry[]): void {
    const { fingerprint } = this.current;
    const peers = entries.filter((entry) => entry.id !== this.nodeId);
    this.otherReleases = peers
      .filter((entry) => entry.release !== RELEASE)
      .map((entry) => ({ node: entry.id, release: entry.release ?? null }));
    this.disagreeing = peers.flatMap((entry) =>
      entry.release === RELEASE && entry.config && entry.config.fingerprint !== fingerprint
        ? [{ node: entry.id, version: entry.config.version, fingerprint: entry.config.fingerprint }]
        : [],
    );
    this.logOtherReleases();
    const summary = this.disagreeing.map((d) => `${d.node} runs ${d.fingerprint}`).join(", ");
    if (summary === this.lastLogged) return;
    this.lastLogged = summary;
    if (summary === "")
      this.logger.info("config agrees with every live node of this release", { config: fingerprint });
    else
      this.logger.warn(`config differs between nodes: this node runs ${fingerprint}, ${summary}`, {
        node: this.nodeId,
      });
  }

  private logOtherReleases(): void {
    const said = this.otherReleases
      .map(({ node, release }) => `node ${node} runs release ${release ?? "unknown (older)"}`)
      .join(", ");
    if (said === this.lastLoggedReleases) return;
    this.lastLoggedReleases = said;
    if (said !== "")
      this.logger.info(`${said}: its config is not compared with this node's (${RELEASE})`, {
        node: this.nodeId,
      });
  }
}
