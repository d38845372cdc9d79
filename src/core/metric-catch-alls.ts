/** A label value /metrics gives to what no config names. */
export interface CatchAll {
  /** What it stands for, as a config refusing the name says. */
  readonly meaning: string;
  /** Refused as a name for more than a label, in words of its own (config/provider-config.ts, tenant-config.ts). */
  readonly reserved?: true;
}

/**
 * The label values /metrics gives to what no config names, by label: kept at every reload
 * (telemetry/metrics/kept-labels.ts) and refused as a name at config load
 * (config/metric-catch-alls.ts), so an entry's series never count them with it.
 */
export const CATCH_ALLS: {
  readonly model: ReadonlyMap<string, CatchAll>;
  readonly provider: ReadonlyMap<string, CatchAll>;
  readonly tenant: ReadonlyMap<string, CatchAll>;
} = {
  model: new Map([
    ["other", { meaning: "a model no entry names" }],
    ["workers", { meaning: "a model only workers serve" }],
  ]),
  provider: new Map<string, CatchAll>([
    ["none", { meaning: "no upstream called" }],
    ["workers", { meaning: "a worker's answer", reserved: true }],
    ["other", { meaning: "a provider the config no longer names" }],
  ]),
  tenant: new Map<string, CatchAll>([
    ["default", { meaning: "the platform's", reserved: true }],
    ["none", { meaning: "a caller with no key" }],
    ["other", { meaning: "a tenant the config does not list" }],
  ]),
};
