import type { InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ResourceData, ScopeData } from "./span-batch-layout.ts";

const NONE_NEW = { resources: [], scopes: [] } as const;

/**
 * The resources and instrumentation scopes spans of a batch come from, named by number: each is
 * sent with the first batch that names it, and by its number alone after that (the export thread
 * keeps those it was sent).
 */
export class BatchOrigins {
  private readonly resourceIds = new WeakMap<Resource, number>();
  private readonly scopeIds = new Map<string, number>();
  /** The same scope object (one per tracer) is looked up by identity first. */
  private readonly scopeObjects = new WeakMap<InstrumentationScope, number>();
  private nextId = 0;
  private resources: ResourceData[] = [];
  private scopes: ScopeData[] = [];

  resourceOf(resource: Resource): number {
    let id = this.resourceIds.get(resource);
    if (id === undefined) {
      id = ++this.nextId;
      this.resourceIds.set(resource, id);
      this.resources.push({ id, attributes: resource.attributes, schemaUrl: resource.schemaUrl });
    }
    return id;
  }

  scopeOf(s: InstrumentationScope): number {
    const known = this.scopeObjects.get(s);
    if (known !== undefined) return known;
    const key = `${s.name}@${s.version ?? ""}:${s.schemaUrl ?? ""}`;
    let id = this.scopeIds.get(key);
    if (id === undefined) {
      id = ++this.nextId;
      this.scopeIds.set(key, id);
      this.scopes.push({ id, scope: { name: s.name, version: s.version, schemaUrl: s.schemaUrl } });
    }
    this.scopeObjects.set(s, id);
    return id;
  }

  /** The resources and scopes first named since the last call. */
  take(): { readonly resources: readonly ResourceData[]; readonly scopes: readonly ScopeData[] } {
    // Nearly every batch names none: nothing made for it.
    if (this.resources.length === 0 && this.scopes.length === 0) return NONE_NEW;
    const taken = { resources: this.resources, scopes: this.scopes };
    this.resources = [];
    this.scopes = [];
    return taken;
  }
}
