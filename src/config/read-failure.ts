import { messageOf } from "../core/describe-error.ts";

const READ_FAILURES: Record<string, string> = {
  ENOENT: "no such file",
  ENOTDIR: "no such file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "it is a directory",
  ELOOP: "too many symlinks",
};

/** Why a read of a config file failed, in a few words (a config error after `<path>: cannot be read:`). */
export function readFailure(error: unknown): string {
  const code = error instanceof Error && "code" in error ? String(error.code) : "";
  return READ_FAILURES[code] ?? messageOf(error);
}
