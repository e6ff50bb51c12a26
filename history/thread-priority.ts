/**
 * Lowers the calling thread's scheduling priority (its nice value), so that on a busy machine the
 * engine, the journal's syncer and the sockets run first and the history writer takes what CPU is
 * left: history may fall behind under a flood, trading never waits for it. Linux schedules threads
 * individually, and setpriority(2) on a thread id (read from /proc/thread-self) changes that thread
 * alone. Elsewhere it does nothing and says so (false).
 */
import { readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";

export function lowerThreadPriority(nice: number): boolean {
  let tid: number;
  try {
    tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
  } catch {
    return false;
  }
  if (!Number.isSafeInteger(tid) || tid <= 0) return false;
  try {
    // Only ever lower it (a higher nice value): raising needs privileges, and an operator's own renice stays.
    if (getPriority(tid) < nice) setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
