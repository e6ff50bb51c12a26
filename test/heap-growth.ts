/**
 * Heap growth of `n` calls of `f` after a warm-up: how the allocation tests (the command layout, the
 * wire codec) show a hot path allocates nothing measurable. `capacity` catches what a GC in between
 * would hide from `used`.
 */
import { heapStats } from "bun:jsc";

export const MiB = 1 << 20;

export function heapGrowth(f: (i: number) => void, n = 1_000_000): { used: number; capacity: number } {
  for (let i = 0; i < 50_000; i++) f(i);
  Bun.gc(true);
  const used0 = process.memoryUsage().heapUsed;
  const capacity0 = heapStats().heapCapacity;
  for (let i = 0; i < n; i++) f(i);
  const capacity = heapStats().heapCapacity - capacity0;
  Bun.gc(true);
  return { used: process.memoryUsage().heapUsed - used0, capacity };
}
