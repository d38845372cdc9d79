/**
 * The export thread's side of bench/ring-wake.ts: a BatchRingReader of the checkout it is told
 * (its `src/telemetry/tracing/span-batch-ring.ts`), taking each batch with `work` µs of busy work
 * (the export's stand-in), on a new ring each round.
 */
declare const self: Worker;

interface Round {
  readonly root: string;
  readonly memory: SharedArrayBuffer;
  readonly work: number;
}

self.onmessage = async (event: MessageEvent<Round>) => {
  const { root, memory, work } = event.data;
  const ring = (await import(
    `${root}/src/telemetry/tracing/span-batch-ring.ts`
  )) as typeof import("../src/telemetry/tracing/span-batch-ring.ts");
  const reader = new ring.BatchRingReader(memory, () => {
    const end = performance.now() + work / 1000;
    while (performance.now() < end) {}
  });
  reader.waitForBatches();
  self.postMessage("ready");
};

export {};
