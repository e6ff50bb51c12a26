/**
 * A scratch "host" for running the runbook's commands (docs/runbook.md) as an operator would:
 * its own directory standing in for /var/lib/bourse and /etc/bourse, the demo configuration on
 * free ports, and on the PATH `bourse` (this checkout's bin/bourse.ts), and stand-ins for
 * `systemctl` and `journalctl` — this machine has no systemd running — that do what the unit in
 * ops/systemd/bourse.service does: `start` runs its ExecStart in the background with output to
 * the journal file, `stop` sends SIGTERM and waits for the exit, `status` says active, inactive
 * or failed with the exit code, and `journalctl -u bourse` prints the log.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../cli/support.ts";

/** A port nothing listens on now (the OS picks it). */
export function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

/** The arguments of the unit's `key` line (ExecStart, ExecStartPre) after the bourse program itself. */
function unitCommand(key: string): string[] {
  const unit = readFileSync(join(ROOT, "ops/systemd/bourse.service"), "utf8");
  const line = new RegExp(`^${key}=(.+)$`, "m").exec(unit)?.[1];
  if (!line) throw new Error(`ops/systemd/bourse.service has no ${key}`);
  // The unit runs the installed bourse (bun and bin/bourse.ts); here that is the shim on the PATH.
  const words = line.trim().split(/\s+/);
  return words.slice(words.findIndex((w) => /(^|\/)bourse(\.ts)?$/.test(w)) + 1);
}

export interface ScratchHost {
  dir: string;
  env: Record<string, string>;
  http: string;
  data: string;
  config: string;
  /** Runs a bash script on the host; its output and exit code. */
  sh(script: string, extraEnv?: Record<string, string>): { code: number; out: string };
  /** The server's log so far (what journalctl prints). */
  log(): string;
  close(): void;
}

export function scratchHost(change?: (config: Record<string, any>) => void): ScratchHost {
  const dir = mkdtempSync(join(tmpdir(), "bourse-runbook-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const data = join(dir, "var/lib/bourse");
  const config = join(dir, "etc/bourse/bourse.json");
  mkdirSync(join(dir, "etc/bourse"), { recursive: true });
  const c = JSON.parse(readFileSync(join(ROOT, "config/demo.json"), "utf8"));
  const port = freePort();
  c.gateway = { ...c.gateway, port };
  c.fix = { ...c.fix, port: freePort() };
  // The demo users' passwords are hashed at the first start: cheap here, the cost is not what is tested.
  c.identity = { ...c.identity, passwordHashing: { ...c.identity?.passwordHashing, memoryCost: 1024, timeCost: 1 } };
  change?.(c);
  writeFileSync(config, JSON.stringify(c, null, 2));
  const logFile = join(dir, "bourse.log");
  const pidFile = join(dir, "bourse.pid");
  const here = (a: string) => a.replace("/var/lib/bourse", data).replace("/etc/bourse/bourse.json", config);
  const args = unitCommand("ExecStart").map(here);
  const pre = unitCommand("ExecStartPre").map(here);
  const script = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  script("bourse", `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, "bin/bourse.ts"))} "$@"`);
  script(
    "systemctl",
    `set -u
cmd="$1"; unit="\${2:-bourse}"; unit="\${unit%.service}"
[ "$unit" = bourse ] || { echo "systemctl (runbook stand-in): only the bourse unit" >&2; exit 5; }
pid="$(cat ${JSON.stringify(pidFile)} 2>/dev/null || true)"
alive() { [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
case "$cmd" in
  start) alive && exit 0
    # ExecStartPre first: a configuration it refuses fails the start, as under systemd.
    bourse ${pre.map((a) => JSON.stringify(a)).join(" ")} >> ${JSON.stringify(logFile)} 2>&1 || { echo "Job for bourse.service failed: ExecStartPre (see journalctl -u bourse)" >&2; exit 1; }
    rm -f ${JSON.stringify(pidFile)} ${JSON.stringify(pidFile + ".exit")}
    # Detached from the caller's pipes; the subshell waits for the server to record its exit code.
    ( bourse ${args.map((a) => JSON.stringify(a)).join(" ")} >> ${JSON.stringify(logFile)} 2>&1 < /dev/null & echo "$!" > ${JSON.stringify(pidFile + ".tmp")}; mv ${JSON.stringify(pidFile + ".tmp")} ${JSON.stringify(pidFile)}; wait "$!"; echo "$?" > ${JSON.stringify(pidFile + ".exit")} ) > /dev/null 2>&1 < /dev/null &
    while [ ! -s ${JSON.stringify(pidFile)} ]; do sleep 0.01; done ;;
  stop) alive || exit 0; kill -TERM "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done ;;
  restart) "$0" stop bourse; "$0" start bourse ;;
  is-active) alive && { echo active; exit 0; }; echo inactive; exit 3 ;;
  status) if alive; then echo "bourse.service - Bourse exchange: active (running), pid $pid"; exit 0; fi
    code="$(cat ${JSON.stringify(pidFile + ".exit")} 2>/dev/null || echo none)"
    if [ "$code" = none ] || [ "$code" = 0 ]; then echo "bourse.service - Bourse exchange: inactive (dead)"; else echo "bourse.service - Bourse exchange: failed (Result: exit-code, status=$code)"; fi
    exit 3 ;;
  *) echo "systemctl (runbook stand-in): $cmd is not supported" >&2; exit 1 ;;
esac`,
  );
  script("journalctl", `cat ${JSON.stringify(logFile)} 2>/dev/null || true`);
  const http = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: dir,
    BOURSE_DATA: data,
    BOURSE_CONFIG: config,
    BOURSE_HTTP: http,
    BOURSE_BACKUPS: join(dir, "srv/bourse-backups"),
    NEW_HOST: join(dir, "newhost"),
  };
  return {
    dir,
    env,
    http,
    data,
    config,
    sh(s, extraEnv = {}) {
      const r = spawnSync("bash", ["-c", s], { cwd: dir, encoding: "utf8", env: { ...process.env, ...env, ...extraEnv }, timeout: 120_000 });
      return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
    },
    log() {
      try {
        return readFileSync(logFile, "utf8");
      } catch {
        return "";
      }
    },
    close() {
      spawnSync("bash", ["-c", "systemctl stop bourse"], { env: { ...process.env, ...env } });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
