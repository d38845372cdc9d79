import { beforeAll } from "bun:test";
import { EMBEDDED_DEFAULTS } from "../config/load-config.ts";
import { type Logger, silentLogger } from "../log/logger.ts";
import { type StoredGateway, storedGateway } from "./stored-gateway.ts";
import { waitForValue } from "./wait-for.ts";

/** A chat answer of model llama-small, as a worker's model server sends it. */
export const LLAMA_COMPLETION = JSON.stringify({
  id: "c1",
  object: "chat.completion",
  created: 7,
  model: "llama-small",
  choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
});

/** A gateway that workers connect to, on loopback, and a worker key for every model. */
export interface WorkerGateway extends StoredGateway {
  readonly port: number;
  readonly workerKey: string;
}

/**
 * The embedded gateway (`EMBEDDED_DEFAULTS`) with `config` over it (`storedGateway`), listening on
 * an ephemeral loopback port, with a worker key made through the admin API. Read it from the tests.
 */
export function workerGateway(config: Record<string, unknown>, logger: Logger = silentLogger): WorkerGateway {
  const gw = storedGateway({ ...EMBEDDED_DEFAULTS, ...config }, logger);
  let listening: { port: number; workerKey: string } | undefined;
  beforeAll(async () => {
    const { port } = gw.gateway.listen("127.0.0.1", 0);
    const created = await gw.call("POST", "/admin/api/keys", { name: "gpu", role: "worker", models: ["*"] });
    if (created.status !== 201) throw new Error(`the worker key was refused: ${created.status}`);
    listening = { port, workerKey: ((await created.json()) as { key: string }).key };
  });
  const started = () => {
    if (listening === undefined) throw new Error("the worker gateway is read before beforeAll started it");
    return listening;
  };
  return Object.defineProperties(gw, {
    port: { get: () => started().port },
    workerKey: { get: () => started().workerKey },
  }) as WorkerGateway;
}

/**
 * What `answer` settles to, `step` run at each poll until then: a raw worker answering what reached
 * it while the call it serves is under way.
 */
export async function answeredWhile<T>(what: string, answer: Promise<T>, step: () => void): Promise<T> {
  let answered: { value: T } | undefined;
  void answer.then((value) => {
    answered = { value };
  });
  const settled = await waitForValue(what, () => {
    step();
    return answered;
  });
  return settled.value;
}
