/**
 * The bourse command as an operator meets it: every mistake is one line on stderr that says what,
 * where and what to do, with exit code 2 for usage and 1 for the environment, no stack trace
 * without --debug, and a usage error opens (or creates) nothing.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bourse, DEMO_CONFIG, lines, ROOT } from "./support.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "bourse-cli-"));
  chmodSync(d, 0o755);
  dirs.push(d);
  return d;
}

/** Exactly one line on stderr, starting "bourse: ", with no stack frame. */
function oneLine(stderr: string): string {
  const l = lines(stderr);
  expect(l).toHaveLength(1);
  expect(l[0]!).toStartWith("bourse: ");
  expect(stderr).not.toMatch(/^\s+at /m);
  return l[0]!;
}

function demoWith(change: (c: Record<string, any>) => void): string {
  const c = JSON.parse(readFileSync(DEMO_CONFIG, "utf8"));
  change(c);
  const file = join(tempDir(), "config.json");
  writeFileSync(file, JSON.stringify(c));
  return file;
}

describe("usage errors: exit 2, one line, nothing opened", () => {
  const cases: [string[], RegExp][] = [
    [["serve", "--port", "abc"], /--port must be an integer 0–65535, not "abc"/],
    [["serve", "--port", "99999"], /--port must be an integer 0–65535, not "99999"/],
    [["serve", "--fix-port=-1"], /--fix-port must be an integer 0–65535, not "-1"/],
    [["serve", "--fix-port", "-1"], /--fix-port needs a value, and a value starting with "-" is written --fix-port=VALUE/],
    [["serve", "--workers", "2"], /--workers must be 0 .* or 1 .*, not "2"/],
    [["serve", "--prot", "7071"], /unknown option --prot for serve \(did you mean --port\?\)/],
    [["serve", "--orders", "5"], /--orders does not apply to serve \(it is an option of start\)/],
    [["serve", "--port"], /--port needs a value/],
    [["serve", "stray"], /unexpected argument "stray"/],
    [["start", "--orders", "abc"], /--orders must be an integer/],
    [["start", "--seed", "1.5"], /--seed must be an integer/],
    [["recover"], /recover needs --until/],
    [["recover", "--until", "yesterday"], /--until wants a sequence number or a time/],
    [["backup"], /backup needs --to DIR/],
    [["backup", "--to", "b", "--force"], /--force does not apply to backup \(it is an option of restore\)/],
    [["restore"], /restore needs --from BACKUP and --data DIR/],
    [["restore", "--from", "b", "--until", "yesterday"], /--until wants a sequence number or a time/],
    [["restore", "--from", "b", "--journal", ""], /--journal must not be empty/],
    [["journal", "inspect", "--limit", "x"], /--limit must be an integer/],
    [["journal", "verify", "--port", "1"], /--port does not apply to journal verify \(it is an option of serve\)/],
    [["journal"], /journal needs a subcommand/],
    [["journal", "fix"], /unknown journal subcommand "fix"/],
    [["frobnicate"], /unknown command "frobnicate"/],
  ];
  for (const [args, expected] of cases) {
    test(`bourse ${args.join(" ")}`, () => {
      const data = join(tempDir(), "never");
      // --data goes first where the command takes it, so a wrong argument after it is still caught before it is used.
      const withData = ["serve", "start", "recover", "backup", "restore"].includes(args[0]!) ? [args[0], "--data", data, ...args.slice(1)] : args;
      const r = bourse(withData);
      expect(oneLine(r.stderr)).toMatch(expected);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(existsSync(data)).toBe(false);
    });
  }

  test("--debug adds the stack trace", () => {
    const r = bourse(["serve", "--config", "/nonexistent/bourse.json", "--data", join(tempDir(), "never"), "--debug"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^\s+at /m);
  });
});

describe("help and version", () => {
  test("no arguments prints the help on stdout and exits 0", () => {
    const r = bourse([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/usage: bourse <command>/);
    expect(r.stderr).toBe("");
  });

  test("--version prints package.json's version", () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    const r = bourse(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`bourse ${version}`);
  });

  test("journal --help and serve --help", () => {
    expect(bourse(["journal", "--help"]).stdout).toMatch(/bourse journal inspect/);
    const serve = bourse(["serve", "--help"]);
    expect(serve.code).toBe(0);
    expect(serve.stdout).toMatch(/--fix-port/);
  });

  test("npx bourse --help runs the package's bin from the repository", () => {
    const r = spawnSync("npx", ["--no-install", "bourse", "--help"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/usage: bourse <command>/);
  }, 60_000);
});

describe("runtime errors: exit 1, one line, the data directory untouched", () => {
  const serveIn = (data: string, ...more: string[]) => bourse(["serve", "--data", data, "--port", "0", "--fix-port", "0", ...more]);

  test("a missing config file", () => {
    const data = join(tempDir(), "never");
    const r = serveIn(data, "--config", "/nonexistent/bourse.json");
    expect(oneLine(r.stderr)).toMatch(/config file \/nonexistent\/bourse.json does not exist; pass --config FILE/);
    expect(r.code).toBe(1);
    expect(existsSync(data)).toBe(false);
  });

  test("a config that is not JSON", () => {
    const file = join(tempDir(), "broken.json");
    writeFileSync(file, '{"exchange": ');
    const data = join(tempDir(), "never");
    const r = serveIn(data, "--config", file);
    expect(oneLine(r.stderr)).toMatch(/config file .*broken.json is not valid JSON/);
    expect(r.code).toBe(1);
    expect(existsSync(data)).toBe(false);
  });

  test("a config naming an unknown tier, currency or symbol", () => {
    const data = join(tempDir(), "never");
    const tier = serveIn(data, "--config", demoWith((c) => (c.accounts[1].tier = 9)));
    expect(oneLine(tier.stderr)).toMatch(/account 2 \(bob\) names tier 9, which exchange.tiers does not define \(it defines 1, 2\)/);
    expect(tier.code).toBe(1);
    const currency = serveIn(data, "--config", demoWith((c) => (c.accounts[0].cash = { EUR: "5" })));
    expect(oneLine(currency.stderr)).toMatch(/account 1: unknown currency EUR/);
    const symbol = bourse(["start", "--data", data, "--config", demoWith((c) => (c.accounts[0].positions = { "DOGE-USD": ["1", "1"] }))]);
    expect(oneLine(symbol.stderr)).toMatch(/account 1: unknown symbol DOGE-USD/);
    expect(existsSync(data)).toBe(false);
  });

  test("a port in use, said before the data directory is created", async () => {
    const holder = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const data = join(tempDir(), "never");
      const ws = bourse(["serve", "--data", data, "--port", String(holder.port), "--fix-port", "0"]);
      expect(oneLine(ws.stderr)).toBe(`bourse: WebSocket/HTTP port ${holder.port} on 127.0.0.1 is in use; stop what holds it, or pass --port N (0 picks a free port)`);
      expect(ws.code).toBe(1);
      const fix = bourse(["serve", "--data", data, "--port", "0", "--fix-port", String(holder.port)]);
      expect(oneLine(fix.stderr)).toMatch(new RegExp(`FIX port ${holder.port} on 127.0.0.1 is in use; .* --fix-port N`));
      expect(existsSync(data)).toBe(false);
    } finally {
      holder.stop(true);
    }
  });

  test("a data directory that exists but cannot be written", () => {
    const data = join(tempDir(), "readonly");
    mkdirSync(data);
    chmodSync(data, 0o555);
    // Root writes through any mode bits: run the command as nobody to see the refusal.
    const asUser = process.getuid?.() === 0 ? 65534 : undefined;
    for (const command of ["serve", "start"]) {
      const r = bourse([command, "--data", data, ...(command === "serve" ? ["--port", "0", "--fix-port", "0"] : [])], { asUser });
      expect(oneLine(r.stderr)).toMatch(new RegExp(`data directory ${data} is not writable \\(EACCES\\); .*fix its permissions, or pass --data DIR`));
      expect(r.code).toBe(1);
    }
    expect(readdirSync(data)).toEqual([]);
  });

  test("a missing data directory: created by start, an error for recover and journal", () => {
    const data = join(tempDir(), "fresh");
    for (const args of [
      ["recover", "--until", "5"],
      ["journal", "inspect"],
      ["journal", "verify"],
    ]) {
      const r = bourse([...args, "--data", data]);
      expect(oneLine(r.stderr)).toBe(`bourse: data directory ${data} does not exist; pass --data DIR (the directory serve or start wrote)`);
      expect(r.code).toBe(1);
    }
    expect(existsSync(data)).toBe(false);
    const r = bourse(["start", "--data", data, "--orders", "20", "--no-fsync", "--snapshot-every", "0"]);
    expect(r.code).toBe(0);
    expect(existsSync(join(data, "journal"))).toBe(true);
  }, 30_000);

  test("start on a recovered directory names the config accounts it does not have", () => {
    const data = join(tempDir(), "d");
    expect(bourse(["start", "--data", data, "--orders", "0"]).code).toBe(0);
    const config = demoWith((c) => c.accounts.push({ id: 9, name: "erin", tier: 1, cash: { USD: "100" } }));
    const r = bourse(["start", "--data", data, "--orders", "0", "--config", config]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`warning: ${config} names accounts 9 (erin) that ${data} does not have`);
  }, 30_000);

  test("start whose engine stops (a failed fdatasync) says why in one line and exits 70; the next start recovers", () => {
    const data = join(tempDir(), "d");
    const r = bourse(["start", "--data", data, "--orders", "5000"], { env: { BOURSE_TEST_FAIL_FSYNC_AFTER: "3" } });
    expect(oneLine(r.stderr)).toMatch(/^bourse: the engine stopped after a failure .*fdatasync failed: EIO; start it again to recover from the journal$/);
    expect(r.code).toBe(70);
    expect(bourse(["start", "--data", data, "--orders", "0"]).code).toBe(0);
  }, 30_000);

  test("recover --until past the end of the journal says so", () => {
    const data = join(tempDir(), "d");
    expect(bourse(["start", "--data", data, "--orders", "20", "--no-fsync", "--snapshot-every", "0"]).code).toBe(0);
    const r = bourse(["recover", "--data", data, "--until", "100000"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bourse: journal ends at seq \d+ \(time [\d-]+T[\d:.]+Z\); --until 100000 is past it \(use --until \d+ for the end\)$/m);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  }, 30_000);

  test("a corrupt journal: serve and start refuse in one line that says what to run", () => {
    const data = join(tempDir(), "d");
    expect(bourse(["start", "--data", data, "--orders", "200", "--no-fsync", "--snapshot-every", "0"]).code).toBe(0);
    const segment = join(data, "journal", readdirSync(join(data, "journal"))[0]!);
    const bytes = readFileSync(segment);
    // A byte in the middle, so that good records follow it: corruption, not a torn tail.
    bytes[Math.floor(bytes.length / 3)]! ^= 0xff;
    writeFileSync(segment, bytes);
    // --workers 1: the engine worker's failure keeps the JournalCorruptError as its cause across the thread.
    const serveInWorker = bourse(["serve", "--data", data, "--port", "0", "--fix-port", "0", "--workers", "1"]);
    for (const r of [bourse(["serve", "--data", data, "--port", "0", "--fix-port", "0"]), serveInWorker, bourse(["start", "--data", data, "--orders", "0"])]) {
      expect(oneLine(r.stderr)).toMatch(new RegExp(`cannot recover ${data}: journal corrupt: .* at byte \\d+: .*; 'bourse journal verify --data ${data}' shows the damage`));
      expect(r.code).toBe(1);
    }
  }, 30_000);
});
