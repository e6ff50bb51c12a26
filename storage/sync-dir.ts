import { closeSync, fsyncSync, openSync } from "node:fs";

/**
 * fsyncs a directory, so that a file just created, renamed or removed in it survives a crash: the
 * file's own fsync covers its bytes, not its name. The journal's segments and the snapshots' renames
 * both need it.
 */
export function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
