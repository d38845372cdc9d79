import { zodWords } from "../../core/zod-words.ts";
import { encodeFrame, PROTOCOL_VERSION, WorkerFrame } from "../protocol.ts";

export type RegisterFrame = Extract<WorkerFrame, { type: "register" }>;

/** What a worker says of itself in `register`. */
export type WorkerIdentity = Pick<RegisterFrame, "name" | "version" | "models" | "concurrency" | "labels"> & {
  /** Upstream APIs announced beyond chat, completions and embeddings (`responses`). */
  apis?: string[];
};

/** The first frame on every connection: who the worker is, and what it reads. */
export function registerFrame({
  name,
  version,
  models,
  concurrency,
  labels,
  apis,
}: WorkerIdentity): RegisterFrame {
  return {
    type: "register",
    v: PROTOCOL_VERSION,
    name,
    version,
    models,
    concurrency,
    labels,
    ...(apis?.length ? { apis } : {}),
    bodyText: true,
    batch: true,
    binaryRequests: true,
  };
}

/**
 * What a worker says when the gateway closed its connection before `registered` as too big (1009):
 * nothing but its `register` goes before that, which was larger than the gateway's
 * `workers.max_message` (hundreds of long model names can be: the schema admits 1,000 of 256
 * characters). The limit is not told until `registered`, so the register's own size is said.
 */
export function registerTooBig(frame: RegisterFrame): string {
  const bytes = Buffer.byteLength(encodeFrame(frame));
  return `the gateway closed the connection at this worker's register as too big (1009): ${bytes} bytes for ${frame.models.length} models, past its workers.max_message; offer fewer models or shorter names (--models), or raise workers.max_message on the gateway`;
}

/** The flag each field of `register` comes from, for a message the operator can act on. */
const FLAG: Partial<Record<keyof RegisterFrame, string>> = {
  name: "--name",
  labels: "--label",
  concurrency: "--concurrency",
  models: "--models",
};

/**
 * What the gateway's schema (the same one) would refuse in `frame`, said by the flag it came from
 * in its words (`--name: at most 128 characters`: core/zod-words.ts); undefined when it would take it.
 * The gateway answers a refused frame only by closing the connection, and reconnecting with the
 * same frame could never help.
 */
export function registerProblem(frame: RegisterFrame): string | undefined {
  const parsed = WorkerFrame.safeParse(frame);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  if (!issue) return "the register frame is invalid";
  const [field, key] = issue.path;
  const flag = FLAG[field as keyof RegisterFrame] ?? String(field);
  // A label's key or value: name the label (shortened: it may be the too-long part).
  const label = field === "labels" && key !== undefined ? ` ${String(key).slice(0, 40)}` : "";
  const what =
    issue.code === "invalid_key"
      ? `its key: ${zodWords(issue.issues[0]?.message ?? issue.message)}`
      : zodWords(issue.message);
  return `${flag}${label}: ${what}`;
}
