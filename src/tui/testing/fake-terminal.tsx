import { EventEmitter } from "node:events";
import { render } from "ink";
import type { ReactElement } from "react";
import { VtScreen } from "./vt-screen.ts";

/**
 * A stdout with a size that can change, recording frames (ink's debug mode writes each whole)
 * and showing them on `screen`, the terminal a user would look at.
 */
export class FakeStdout extends EventEmitter {
  frames: string[] = [];
  isTTY = false;
  readonly screen: VtScreen;
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
    this.screen = new VtScreen(columns, rows);
  }
  /** The terminal changes size, then tells the program (SIGWINCH); pass `{ silently: true }` to hold the telling back. */
  resize(columns: number, rows: number, { silently = false } = {}): void {
    this.screen.resize(columns, rows);
    if (silently) return;
    this.columns = columns;
    this.rows = rows;
    this.emit("resize");
  }
  /** The program hears of the terminal's current size at last. */
  deliverResize(): void {
    this.resize(this.screen.width, this.screen.height);
  }
  write = (frame: string, ...rest: unknown[]): boolean => {
    this.frames.push(frame);
    this.screen.write(frame);
    // ink waits on the write callback (its flush barrier) before `waitUntilExit` resolves.
    const callback = rest.find((arg) => typeof arg === "function");
    if (callback) queueMicrotask(callback as () => void);
    return true;
  };
}

/** A stdin that feeds keys to ink the way a raw-mode terminal would. */
export class FakeStdin extends EventEmitter {
  isTTY = true;
  private pending: string | null = null;
  write(data: string): void {
    this.pending = data;
    this.emit("readable");
    this.emit("data", data);
  }
  read = (): string | null => {
    const data = this.pending;
    this.pending = null;
    return data;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

/** Renders `tree` on a fake terminal of the given size; `resize` fires ink's resize path. */
export function renderOnTerminal(tree: ReactElement, columns = 100, rows = 24) {
  const stdout = new FakeStdout(columns, rows);
  const stdin = new FakeStdin();
  const instance = render(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return {
    stdin,
    frames: stdout.frames,
    lastFrame: () => stdout.frames.at(-1) ?? "",
    waitUntilExit: () => instance.waitUntilExit(),
    resize: (newColumns: number, newRows: number) => stdout.resize(newColumns, newRows),
    unmount: () => instance.unmount(),
  };
}
