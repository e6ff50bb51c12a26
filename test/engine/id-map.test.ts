import { expect, test } from "bun:test";
import fc from "fast-check";
import { IdMap } from "../../engine/id-map.ts";

const op = fc.record({
  kind: fc.constantFrom("set", "delete", "get"),
  // Few distinct keys force collisions and long probe runs; some large ones exercise the high bits.
  key: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom(2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1, 4096, 8192)),
  value: fc.integer({ min: 0, max: 1_000_000 }),
});

test("behaves like a Map under any sequence of sets, deletes and gets, through growth", () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
      const map = new IdMap(4);
      const model = new Map<number, number>();
      for (const { kind, key, value } of ops) {
        if (kind === "set") {
          map.set(key, value);
          model.set(key, value);
        } else if (kind === "delete") {
          expect(map.delete(key)).toBe(model.delete(key));
        }
        expect(map.get(key)).toBe(model.get(key) ?? -1);
        expect(map.size).toBe(model.size);
      }
      for (const [k, v] of model) expect(map.get(k)).toBe(v);
      expect(map.values().sort((a, b) => a - b)).toEqual([...model.values()].sort((a, b) => a - b));
    }),
    { numRuns: 300 },
  );
});
