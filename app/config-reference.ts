/**
 * docs/configuration.md, written from the schema (app/config-schema/): every key with its dotted
 * path, kind, default and meaning. `bourse config reference` prints it; a test compares the
 * checked-in file with it, so the reference cannot fall behind the schema.
 */
import { z } from "zod";
import { bourseConfigSchema } from "./config-schema/index.ts";
import { docOf, unwrap } from "./config-validate.ts";

export interface Row {
  path: string;
  type: string;
  required: boolean;
  default: string;
  meaning: string;
}

/** The rows under `schema` (an object's keys, a list's elements' keys, a map's values' keys), depth first. */
function rows(schema: z.ZodType, prefix: string, out: Row[]): Row[] {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject) {
    for (const [key, child] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
      const path = prefix === "" ? key : `${prefix}.${key}`;
      const doc = docOf(child);
      out.push({ path, type: doc?.type ?? "", required: !(child instanceof z.ZodOptional), default: doc?.default ?? "", meaning: child.description ?? "" });
      rows(child, path, out);
    }
  } else if (inner instanceof z.ZodArray) rows(inner.element as z.ZodType, `${prefix}[]`, out);
  else if (inner instanceof z.ZodRecord) {
    const name = /an object of (.+?) → /.exec(docOf(inner)?.type ?? "")?.[1] ?? "name";
    rows(inner.valueType as z.ZodType, `${prefix}.<${name.replace(/ /g, "-")}>`, out);
  }
  return out;
}

/** Every key of the configuration, in the reference's order. */
export function configKeys(): Row[] {
  return rows(bourseConfigSchema, "", []);
}

const cell = (s: string) => s.replace(/\|/g, "\\|");

/** The whole reference, as markdown. */
export function configReference(): string {
  const all = configKeys();
  const sections = all.filter((r) => !r.path.includes(".") && !r.path.includes("["));
  const out: string[] = [
    "# Configuration reference",
    "",
    "<!-- Generated from the schema (app/config-schema/) by `npm run docs:config` (npx bourse config reference > docs/configuration.md); do not edit by hand: test/app/config-reference.test.ts fails when this file and the schema differ. -->",
    "",
    "`bourse serve --config FILE` (and every command that takes `--config`) reads one JSON file. Every",
    "key is checked before anything starts: an unknown key (with the nearest known one), a value of the",
    "wrong kind or out of range is one line naming the file and the key's path, array indexes included:",
    "",
    "```",
    'bourse: config/demo.json: gateway.port: expected an integer 0–65535, got "abc"',
    'bourse: config/demo.json: exchange.instruments[1].tikSize: unknown key (did you mean "tickSize"?)',
    "```",
    "",
    "`bourse config check --config FILE` checks a file the same way, and what the keys must agree on",
    "(unique ids, tiers and currencies that exist, venues' environment), lists every problem and exits",
    "0 when there is none, 1 otherwise: run it before a restart. `config/demo.json` is a complete",
    "example. Amounts and prices are decimal strings, converted exactly; durations are µs of engine",
    "time (`…Us`), ms (`…Ms`) or seconds (`…Sec`, `…Seconds`), as the key's name says.",
    "",
    "In a path, `[]` is any element of a list (`exchange.instruments[].tickSize`) and `<name>` a key",
    "you choose (`venues.<venue-name>.host`). A default is what applies when the key is absent.",
    "",
    "Sections: " + sections.map((s) => `[\`${s.path}\`](#${s.path})`).join(", ") + ".",
  ];
  for (const s of sections) {
    out.push("", `## ${s.path}`, "", `${s.meaning}${s.required ? " Required." : ""}`, "", "| Key | Type | Default | Meaning |", "| --- | --- | --- | --- |");
    for (const r of all.filter((r) => r.path === s.path || r.path.startsWith(`${s.path}.`) || r.path.startsWith(`${s.path}[`))) {
      const dflt = r.required ? "required" : r.default === "" ? "—" : r.default;
      out.push(`| \`${cell(r.path)}\` | ${cell(r.type)} | ${cell(dflt)} | ${cell(r.meaning)} |`);
    }
  }
  return `${out.join("\n")}\n`;
}
