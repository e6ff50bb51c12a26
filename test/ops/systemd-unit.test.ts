/**
 * ops/systemd/bourse.service: systemd reads it without a complaint (systemd-analyze verify, where the
 * machine has it), it keeps the settings docs/deployment.md promises, and the commands it runs are
 * ones the real command line accepts.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCommandLine } from "../../cli/options.ts";

const ROOT = join(import.meta.dir, "../..");
const UNIT_FILE = join(ROOT, "ops/systemd/bourse.service");
const unitText = readFileSync(UNIT_FILE, "utf8");
const dir = mkdtempSync(join(tmpdir(), "bourse-systemd-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The unit's settings by section and key (a key given twice keeps both values, as systemd lists do). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | null = null;
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv || current === null) throw new Error(`line ${i + 1} is neither a section nor Key=value: ${raw}`);
    current.set(kv[1]!, [...(current.get(kv[1]!) ?? []), kv[2]!]);
  }
  return sections;
}

const unit = parseUnit(unitText);
const service = unit.get("Service")!;
const one = (key: string) => {
  const v = service.get(key);
  expect({ key, count: v?.length }).toEqual({ key, count: 1 });
  return v![0]!;
};

/** The bourse arguments of an Exec line: what follows bin/bourse.ts. */
function bourseArgs(exec: string): string[] {
  const words = exec.split(/\s+/);
  const at = words.findIndex((w) => w.endsWith("/bin/bourse.ts"));
  expect(at).toBeGreaterThan(0);
  expect(words[0]).toStartWith("/"); // systemd wants an absolute program
  return words.slice(at + 1);
}

describe("ops/systemd/bourse.service", () => {
  test("has the sections and settings docs/deployment.md describes", () => {
    expect([...unit.keys()]).toEqual(["Unit", "Service", "Install"]);
    expect(one("Type")).toBe("simple"); // Bourse does not speak sd_notify
    expect(one("User")).toBe("bourse");
    expect(one("Restart")).toBe("on-failure"); // exit 70 (engine stopped) is restarted: the restart recovers
    expect(one("RestartPreventExitStatus")).toBe("2");
    expect(one("KillSignal")).toBe("SIGTERM");
    expect(Number.parseInt(one("TimeoutStopSec"))).toBeGreaterThanOrEqual(15);
    expect(Number(one("LimitNOFILE"))).toBeGreaterThanOrEqual(65536);
    expect(one("EnvironmentFile")).toBe("-/etc/bourse/bourse.env");
    expect(one("ProtectSystem")).toBe("strict");
    expect(one("ReadWritePaths")).toBe("/var/lib/bourse");
    expect(one("StateDirectory")).toBe("bourse");
    for (const k of ["NoNewPrivileges", "PrivateTmp", "ProtectHome", "PrivateDevices"]) expect(one(k)).toBe("true");
    // Bun's JIT needs writable, executable memory.
    expect(service.has("MemoryDenyWriteExecute")).toBe(false);
    expect(unit.get("Install")!.get("WantedBy")).toEqual(["multi-user.target"]);
  });

  test("ExecStart is bourse serve on /var/lib/bourse with /etc/bourse/bourse.json, as the real command line parses it", () => {
    const inv = parseCommandLine(bourseArgs(one("ExecStart")));
    expect(inv.kind).toBe("run");
    if (inv.kind !== "run") return;
    expect(inv.command).toBe("serve");
    expect(inv.values).toMatchObject({ data: "/var/lib/bourse", config: "/etc/bourse/bourse.json", logFormat: "json" });
  });

  test("ExecStartPre checks the same configuration file first", () => {
    const inv = parseCommandLine(bourseArgs(one("ExecStartPre")));
    expect(inv.kind === "run" && inv.command).toBe("config check");
    expect(inv.kind === "run" && inv.values.config).toBe("/etc/bourse/bourse.json");
  });

  const analyze = spawnSync("sh", ["-c", "command -v systemd-analyze"], { encoding: "utf8" }).stdout.trim();
  test.skipIf(analyze === "")("systemd-analyze verify takes it without a warning (the program paths pointed at this checkout)", () => {
    // verify checks that the programs exist: run it on a copy installed at this checkout instead of /opt/bourse.
    const copy = join(dir, "bourse.service");
    writeFileSync(copy, unitText.replaceAll("/opt/bourse", ROOT));
    const r = spawnSync(analyze, ["verify", copy], { encoding: "utf8" });
    expect({ code: r.status, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    // It would say so: an unknown key is a warning, a missing program an error.
    writeFileSync(copy, unitText.replaceAll("/opt/bourse", ROOT).replace("Type=simple", "Type=simple\nRestartt=always"));
    expect(spawnSync(analyze, ["verify", copy], { encoding: "utf8" }).stderr).toContain("Unknown key 'Restartt'");
  });
});
