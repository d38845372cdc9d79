import { afterAll, beforeAll } from "bun:test";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import { type Logger, silentLogger } from "../log/logger.ts";
import { tempDir } from "../storage/sqlite/test-helpers.ts";
import { type RecordingGateway, recordingGateway } from "./recording-gateway.ts";
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
export interface WorkerGateway extends RecordingGateway {
  readonly port: number;
  readonly workerKey: string;
}

/**
 * The embedded gateway (`EMBEDDED_DEFAULTS`) with `config` over it, its store in a temp dir of its
 * own, listening on an ephemeral loopback port, with a worker key made through the admin API:
 * started before the file's tests and stopped after them, the dir removed. Read it from the tests.
 */
export function workerGateway(config: Record<string, unknown>, logger: Logger = silentLogger): WorkerGateway {
  const tmp = tempDir();
  let started: WorkerGateway | undefined;
  beforeAll(async () => {
    const recording = await recordingGateway(
      parseConfig({ ...EMBEDDED_DEFAULTS, storage: { path: tmp.file("gw.db") }, ...config }),
      logger,
    );
    const { gateway, adminKey } = recording;
    const { port } = gateway.listen("127.0.0.1", 0);
    const created = await fetch(`http://127.0.0.1:${port}/admin/api/keys`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ name: "gpu", role: "worker", models: ["*"] }),
    });
    if (created.status !== 201) throw new Error(`the worker key was refused: ${created.status}`);
    const { key } = (await created.json()) as { key: string };
    started = { ...recording, port, workerKey: key };
  });
  afterAll(async () => {
    await started?.gateway.stop();
    tmp.cleanup();
  });
  const gw = (): WorkerGateway => {
    if (started === undefined) throw new Error("the worker gateway is read before beforeAll started it");
    return started;
  };
  return {
    get gateway() {
      return gw().gateway;
    },
    get adminKey() {
      return gw().adminKey;
    },
    get finished() {
      return gw().finished;
    },
    get port() {
      return gw().port;
    },
    get workerKey() {
      return gw().workerKey;
    },
  };
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
