import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { NotLoadedError } from "../core/on-demand.ts";
import { ConfigError } from "./config-error.ts";
import type { Config } from "./config-schema.ts";
import { configDocument, configFromDocument } from "./load-config.ts";
import { readFailure } from "./read-failure.ts";
import { documentOf, type ReadConfig, truncationSignsOf } from "./truncation-signs.ts";
import { watchPath } from "./watch-path.ts";
import { loadYaml } from "./yaml-text.ts";

/**
 * What `onValid` settles with when its config was refused for a cause outside the text: what it
 * needs did not load, or not in time (gateway/applied-when-loaded.ts), or a part could not be built
 * from it or refused it (gateway/apply-reload.ts: a provider that cannot start, an embedder's
 * policy). The same text may well apply later, so the file's watch reads it as a change again (a
 * SIGHUP applies it), and compares the next change with the config still in force, as after a
 * file it could not read.
 */
export const REFUSED_FOR_NOW = "refused for now";

/**
 * What a source tells of each change. A handler may take its time and return a promise (the
 * gateway's apply each change in turn, a config once what it needs is loaded:
 * gateway/applied-when-loaded.ts), settled once the change is in force or refused; the file's
 * watch awaits it, so its `reload()` resolves after.
 */
export interface ConfigWatchHandlers {
  /**
   * `inForceLater`, if the source gives one, is called when a config refused for now is put in
   * force later on its own, with no change told after it (a load that ran late ends after all).
   * That may be before its `onValid` has settled `REFUSED_FOR_NOW` (the load ended while the
   * refusal was told): the config is in force all the same.
   */
  onValid(config: Config, inForceLater?: InForceLater): ValidSaid;
  onInvalid(error: Error): void | Promise<void>;
  /** A change that looks cut off mid-write is held until the file reads the same again (`confirmMs`). */
  onHeld?(reason: string): void | Promise<void>;
}

/** What `onValid` says of its config: nothing once in force or refused for its text, else `REFUSED_FOR_NOW`. */
// biome-ignore lint/suspicious/noConfusingVoidType: a handler that says nothing is an async function, Promise<void>.
export type ValidSaid = void | typeof REFUSED_FOR_NOW | Promise<void | typeof REFUSED_FOR_NOW>;

/** Told that a config `onValid` refused for now is in force after all. */
export type InForceLater = () => void;

export interface ConfigWatch {
  /**
   * Reads the file now (SIGHUP); false when its content has not changed since the last read. A
   * file that is missing or unreadable is a change refused (`onInvalid`), never "unchanged"; nor is
   * a text whose config was refused for now (`REFUSED_FOR_NOW`): it is read as a change again.
   * Resolves once the handler told of the change has settled (the config in force, or refused).
   */
  reload(): Promise<boolean>;
  stop(): void;
}

export interface WatchOptions {
  /** Quiet time after a change before reading, and the gap between the reads that must agree. */
  readonly settleMs?: number;
  /** How long a change that looks cut off mid-write (truncation-signs.ts) must stay unchanged before it applies. */
  readonly confirmMs?: number;
  /**
   * The text the config in effect was read from, before the watch started: a file that reads
   * otherwise by the time it starts (edited while the gateway started) is reloaded at once.
   * Default: the file as it reads when the watch starts.
   */
  readonly initialText?: string;
  /** Waits `ms`; tests replace it to decide when a settle or a confirmation read happens. */
  readonly wait?: (ms: number, why: "settle" | "confirm") => Promise<void>;
}

/** A file still different after this many settle reads is being written continuously: not applied. */
const MAX_SETTLE_READS = 20;

/**
 * Watches what decides the config file's content (watch-path.ts: its name in its folder, so a
 * replace by rename counts; each symlink on the way, so a Kubernetes ConfigMap update counts; the
 * file a symlink leads to) and reloads after changes settle. Only a change of content triggers a
 * reload.
 *
 * A file written in place can be read half-written, and half a YAML file is often valid YAML
 * (what follows the cut is simply missing). So a change applies only once two reads `settleMs`
 * apart agree; and a change that removes anything the file had (a model, a list entry, a key, a
 * section) or now ends mid-line must still read the same after `confirmMs` before it applies.
 */
export function watchConfig(
  path: string,
  handlers: ConfigWatchHandlers,
  options: WatchOptions = {},
): ConfigWatch {
  const { settleMs = 150, confirmMs = 2_000 } = options;
  const wait = options.wait ?? ((ms: number) => Bun.sleep(ms));
  const file = resolve(path);
  // Read now, synchronously: an edit made right after the watch starts must count as a change.
  const atStart = readInitial(file);
  let lastText: string | undefined = options.initialText ?? atStart;
  /**
   * The text of the config in effect, what a change is compared with for signs of a cut, and its
   * document once parsed (the applied change's own, or the start's text parsed at the first
   * change): a reload parses the new text once, never the old one again.
   */
  let applied: { text: string; document?: unknown } | undefined =
    lastText === undefined ? undefined : { text: lastText };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  /** Texts read and settled so far: a config put in force later stands only if none came after it. */
  let reads = 0;

  const read = (): Promise<FileRead> => readFile(file, "utf8").catch((error) => new Unreadable(error));

  /** What the file says once two reads `settleMs` apart agree; null if it never settles. */
  const readSettled = async (): Promise<FileRead | null> => {
    let text = await read();
    for (let i = 0; i < MAX_SETTLE_READS && !stopped; i++) {
      await wait(settleMs, "settle");
      const again = await read();
      if (sameRead(again, text)) return text;
      text = again;
    }
    return null;
  };

  const apply = async (): Promise<boolean> => {
    // Loaded already when the gateway started on the file (readConfigText); an embedder's watch may not have.
    await loadYaml();
    for (;;) {
      if (stopped) return false;
      const text = await readSettled();
      const thisRead = ++reads;
      // Stopped meanwhile (the gateway is stopping): nothing is applied or reported any more.
      if (stopped) return false;
      if (text === null) {
        await handlers.onInvalid(
          new ConfigError([`${path}: still being written (changed on each of ${MAX_SETTLE_READS} reads)`]),
        );
        return false;
      }
      if (text instanceof Unreadable) {
        // Not "unchanged": the file to serve from is gone or cannot be read, and the operator
        // must hear it now rather than at the next restart. Whatever it says when it is back
        // is read as a change, so that clears this error even if it is the same text.
        lastText = undefined;
        await handlers.onInvalid(new ConfigError([`${path}: cannot be read: ${text.reason}`]));
        return true;
      }
      if (text === lastText) return false;
      // Parsed and validated once; a text that is no valid config is still compared for signs of
      // a cut: an editor's truncate-then-write read between the two is empty or half a YAML file.
      let outcome: { config: Config } | { refused: Error };
      let next: ReadConfig = { text, document: undefined };
      try {
        // Problems name the file as the start does, as given (`-c gw.yaml`), not as watched.
        const document = configDocument(path, text);
        next = { text, document };
        // The store's files are not checked again: its settings are restart-only (load-config.ts).
        outcome = { config: configFromDocument(path, document, process.env, { checkFiles: false, text }) };
      } catch (error) {
        // Not the file's fault (a library read before it was loaded): never a refusal of this text,
        // which is read again at the next change, as configDocument and truncationSignsOf do.
        if (error instanceof NotLoadedError) throw error;
        outcome = { refused: error instanceof Error ? error : new Error(String(error)) };
      }
      let signs: string[] = [];
      if (applied !== undefined) {
        if (!("document" in applied)) applied = { text: applied.text, document: documentOf(applied.text) };
        signs = truncationSignsOf(applied as ReadConfig, next);
      }
      if (signs.length > 0) {
        const verdict = "config" in outcome ? "applied" : "refused";
        await handlers.onHeld?.(
          `the change ${signs.join(" and ")}; ${verdict} only if the file still reads the same in ${confirmMs} ms`,
        );
        await wait(confirmMs, "confirm");
        const again = await read();
        if (stopped) return false;
        // Still being written (or edited again): start over with what the file says now.
        if (again !== text) continue;
      }
      if ("refused" in outcome) {
        lastText = text;
        await handlers.onInvalid(outcome.refused);
        return true;
      }
      const { config } = outcome;
      let putInForceLater = false;
      const inForceLater = () => {
        if (thisRead !== reads || stopped) return;
        putInForceLater = true;
        lastText = text;
        applied = next;
      };
      if ((await handlers.onValid(config, inForceLater)) === REFUSED_FOR_NOW) {
        // Refused, but not for this text: read again as a change, against the config in force;
        // unless it is in force already (its late load ended while its refusal was told).
        if (!putInForceLater) lastText = undefined;
        return true;
      }
      lastText = text;
      applied = next;
      return true;
    }
  };

  // One reload at a time: a SIGHUP during a settling watch reload waits for it, then re-reads.
  let running: Promise<boolean> = Promise.resolve(false);
  const reload = (): Promise<boolean> => {
    running = running.then(apply, apply);
    return running;
  };

  const watcher = watchPath(file, () => {
    clearTimeout(timer);
    timer = setTimeout(reload, settleMs);
  });
  // Edited since the config in effect was read (while the gateway started): no event will come
  // for that edit any more, so it is read now, as any change is.
  if (atStart !== lastText) void reload();
  return {
    reload,
    stop() {
      stopped = true;
      clearTimeout(timer);
      watcher.stop();
    },
  };
}

/** Why a read of the config file failed. */
class Unreadable {
  readonly reason: string;
  constructor(error: unknown) {
    this.reason = readFailure(error);
  }
}

/** The file's text, or why it could not be read. */
type FileRead = string | Unreadable;

const sameRead = (a: FileRead, b: FileRead) =>
  a instanceof Unreadable ? b instanceof Unreadable && a.reason === b.reason : a === b;

function readInitial(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}
