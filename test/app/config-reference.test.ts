/** docs/configuration.md is what the schema says now: generated, checked in, and compared here so it cannot fall behind. */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { configKeys, configReference } from "../../app/config-reference.ts";

const ROOT = join(import.meta.dir, "../..");

test("docs/configuration.md is the reference the schema generates (npx bourse config reference > docs/configuration.md)", () => {
  expect(readFileSync(join(ROOT, "docs/configuration.md"), "utf8")).toBe(configReference());
});

test("every key has a kind and a meaning, and every optional key the reference shows a default for or says has none", () => {
  const keys = configKeys();
  expect(keys.length).toBeGreaterThan(150);
  for (const k of keys) expect({ path: k.path, type: k.type !== "", meaning: k.meaning.length > 10 }).toEqual({ path: k.path, type: true, meaning: true });
  // The keys the issue names, and the deep ones, with their paths.
  const paths = new Set(keys.map((k) => k.path));
  for (const p of ["gateway.port", "exchange.instruments[].tickSize", "exchange.instruments[].calendar.sessions[].open", "exchange.tiers[].monitoring.sizeWeight", "accounts[].apiKeys[].scopes", "venues.<venue-name>.marketData.staleMs", "gateway.rest.rateLimit.burstSeconds"]) expect(paths.has(p)).toBe(true);
  const port = keys.find((k) => k.path === "gateway.port")!;
  expect(port).toMatchObject({ type: "an integer 0–65535", default: "`7070`", required: false });
});
