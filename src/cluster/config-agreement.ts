import type { Config } from "../config/config-schema.ts";
import type { Logger } from "../log/logger.ts";
import { configFingerprint } from "./config-fingerprint.ts";
import type { NodeConfig, NodeEntry } from "./node-entry.ts";

/** A node whose config fingerprint differs from this node's. */
export interface ConfigDisagreement {
  node: string;
  version: number;
  fingerprint: string;
}

/** The config agreement as `/readyz` shows it. */
export interface PublicAgreement {
  version: number;
  agrees: boolean;
  disagreeing: { node: string; version: number }[];
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
  private lastLogged = "";

  constructor(
    private readonly nodeId: string,
    config: Config,
    private readonly logger: Logger,
  ) {
    this.current = { version: 1, ...configFingerprint(config) };
  }

  /** The config this node runs now. */
  runs(): NodeConfig {
    return this.current;
  }

  applied(config: Config, version: number): NodeConfig {
    this.current = { version, ...configFingerprint(config) };
    return this.current;
  }

  /** Live nodes (by the last directory read) whose config differs from this node's. */
  disagreements(): readonly ConfigDisagreement[] {
    return this.disagreeing;
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
    };
  }

  /**
   * Compares with a fresh directory read; logs when the set of disagreeing nodes changes. A node
   * whose fingerprint digests another thing (`NodeConfig.of`: a release before, which digested the
   * defaults it fills in too) is not compared: their fingerprints differ whatever the files say.
   */
  observe(entries: readonly NodeEntry[]): void {
    const { fingerprint, of } = this.current;
    this.disagreeing = entries.flatMap((entry) =>
      entry.id !== this.nodeId &&
      entry.config &&
      entry.config.of === of &&
      entry.config.fingerprint !== fingerprint
        ? [{ node: entry.id, version: entry.config.version, fingerprint: entry.config.fingerprint }]
        : [],
    );
    const summary = this.disagreeing.map((d) => `${d.node} runs ${d.fingerprint}`).join(", ");
    if (summary === this.lastLogged) return;
    this.lastLogged = summary;
    if (summary === "")
      this.logger.info("config agrees with every live node", { config: this.current.fingerprint });
    else
      this.logger.warn(
        `config differs between nodes: this node runs ${this.current.fingerprint}, ${summary}`,
        {
          node: this.nodeId,
        },
      );
  }
}
