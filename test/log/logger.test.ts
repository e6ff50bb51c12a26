/**
 * The logger's contract (docs/logging.md): one JSON object a line with time, level, msg and then
 * the fields; a pretty line for terminals; levels; a per-kind rate limit that reports what it
 * dropped; secrets redacted by field name whatever the call site passes.
 */
import { describe, expect, test } from "bun:test";
import { createLogger, lineSink, type LoggerOptions } from "../../log/logger.ts";
import { memoryLogger } from "../../log/memory.ts";

const T0 = Date.UTC(2025, 0, 2, 9, 0, 0);

/** A logger writing `format` lines into an array, at a clock the test moves. */
function lines(format: "json" | "pretty", o: Omit<LoggerOptions, "sink" | "format"> = {}) {
  const out: string[] = [];
  const clock = { now: T0 };
  const log = createLogger({ now: () => clock.now, rateLimit: false, ...o, sink: lineSink(format, (l) => out.push(l)) });
  return { log, out, clock, parsed: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("JSON lines", () => {
  test("each record is one line: time (ISO 8601 UTC), level, msg, then the child's fields and the call's", () => {
    const { log, out } = lines("json");
    log.child({ door: "ws", remote: "127.0.0.1" }).info("login", { account: 1, key: "alice-demo", skipped: undefined });
    expect(out).toEqual([`{"time":"2025-01-02T09:00:00.000Z","level":"info","msg":"login","door":"ws","remote":"127.0.0.1","account":1,"key":"alice-demo"}\n`]);
  });

  test("a field cannot overwrite time, level or msg; an Error becomes type, message and stack", () => {
    const { log, parsed } = lines("json");
    log.error("engine stopped", { level: "info", msg: "fine", time: 0, err: new RangeError("boom") });
    const [r] = parsed();
    expect(r!.level).toBe("error");
    expect(r!.msg).toBe("engine stopped");
    expect(r!.time).toBe("2025-01-02T09:00:00.000Z");
    expect(r!.err).toMatchObject({ type: "RangeError", message: "boom" });
    expect((r!.err as { stack: string }).stack).toContain("logger.test.ts");
  });
});

describe("pretty lines", () => {
  test("time of day, padded level, msg, key=value; values with spaces quoted; a stack on the lines below", () => {
    const { log, out } = lines("pretty");
    log.warn("session closed", { door: "fix", reason: "counterparty logged out", code: 1008 });
    const e = new Error("disk full");
    log.error("snapshot not saved", { seq: 7, err: e });
    expect(out[0]).toBe(`09:00:00.000Z WARN  session closed door=fix reason="counterparty logged out" code=1008\n`);
    expect(out[1]).toBe(`09:00:00.000Z ERROR snapshot not saved seq=7 err="disk full"\n${e.stack}\n`);
  });
});

describe("levels", () => {
  test("lines below the level are not written; enabled() says which would be", () => {
    const { log, parsed } = lines("json", { level: "warn" });
    log.debug("a");
    log.info("b");
    log.warn("c");
    log.error("d");
    log.child({ x: 1 }).info("e");
    expect(parsed().map((r) => `${r.level} ${r.msg}`)).toEqual(["warn c", "error d"]);
    expect([log.enabled("debug"), log.enabled("info"), log.enabled("warn"), log.enabled("error")]).toEqual([false, false, true, true]);
  });

  test("the default level is info", () => {
    const { log, parsed } = lines("json", { level: undefined });
    log.debug("hidden");
    log.info("shown");
    expect(parsed().map((r) => r.msg)).toEqual(["shown"]);
  });
});

describe("rate limit", () => {
  test("past the burst a kind is dropped and counted; its next line is preceded by the count; other kinds pass", () => {
    const { log, parsed, clock } = lines("json", { rateLimit: { perSecond: 10, burst: 10 } });
    for (let i = 0; i < 100; i++) log.warn("garbled frame ignored", { i });
    log.info("login", { account: 1 });
    expect(parsed().filter((r) => r.msg === "garbled frame ignored")).toHaveLength(10);
    expect(parsed().at(-1)).toMatchObject({ msg: "login" });
    // One second refills ten tokens: the next line gets through, with the count of what was dropped first.
    clock.now += 1000;
    log.warn("garbled frame ignored", { i: 100 });
    const tail = parsed().slice(-2);
    expect(tail[0]).toEqual({ time: "2025-01-02T09:00:01.000Z", level: "warn", msg: "suppressed similar lines", kind: "garbled frame ignored", suppressed: 90 });
    expect(tail[1]).toMatchObject({ msg: "garbled frame ignored", i: 100 });
  });

  test("a count nobody's next line reports is written by flush(), and by itself after reportAfterMs", async () => {
    const a = lines("json", { rateLimit: { perSecond: 1, burst: 2 } });
    for (let i = 0; i < 5; i++) a.log.info("x");
    a.log.flush();
    expect(a.parsed().map((r) => `${r.msg} ${r.suppressed ?? ""}`)).toEqual(["x ", "x ", "suppressed similar lines 3"]);

    let reported!: () => void;
    const done = new Promise<void>((r) => (reported = r));
    const out: Record<string, unknown>[] = [];
    const log = createLogger({
      rateLimit: { perSecond: 1, burst: 1, reportAfterMs: 10 },
      sink: (r) => {
        out.push(r);
        if (r.msg === "suppressed similar lines") reported();
      },
    });
    for (let i = 0; i < 4; i++) log.info("y");
    await done;
    expect(out.map((r) => `${r.msg} ${r.suppressed ?? ""}`)).toEqual(["y ", "suppressed similar lines 3"]);
  });
});

describe("redaction", () => {
  test("secrets, passwords and tokens never reach a line, at the top, nested, or in a child's fields", () => {
    const SECRET = "alice-demo-secret-do-not-use-in-production";
    const { log, out, parsed } = lines("json");
    log.child({ token: SECRET }).info("login", {
      key: "alice-demo",
      secret: SECRET,
      password: SECRET,
      api_secret: SECRET,
      apiSecret: SECRET,
      Authorization: SECRET,
      account: { id: 1, apiKeys: [{ id: "alice-demo", secret: SECRET }] },
    });
    const p = lines("pretty");
    p.log.warn("x", { password: SECRET, nested: { Password: SECRET } });
    expect(out.join("") + p.out.join("")).not.toContain(SECRET);
    expect(parsed()[0]).toEqual({
      time: "2025-01-02T09:00:00.000Z",
      level: "info",
      msg: "login",
      token: "[redacted]",
      key: "alice-demo",
      secret: "[redacted]",
      password: "[redacted]",
      api_secret: "[redacted]",
      apiSecret: "[redacted]",
      Authorization: "[redacted]",
      account: { id: 1, apiKeys: [{ id: "alice-demo", secret: "[redacted]" }] },
    });
  });

  test("the caller's objects are not changed by redaction", () => {
    const { log } = lines("json");
    const fields = { key: { id: "k", secret: "s3cr3t-s3cr3t-s3cr3t" } };
    log.info("x", fields);
    expect(fields.key.secret).toBe("s3cr3t-s3cr3t-s3cr3t");
  });
});

describe("memoryLogger", () => {
  test("keeps records and shows them as LEVEL msg k=v lines", () => {
    const m = memoryLogger();
    m.log.child({ door: "fix" }).debug("connection opened", { remote: "127.0.0.1" });
    expect(m.records[0]).toMatchObject({ level: "debug", msg: "connection opened", door: "fix", remote: "127.0.0.1" });
    expect(m.lines()).toEqual(["DEBUG connection opened door=fix remote=127.0.0.1"]);
    expect(m.jsonBytes()).toBe(JSON.stringify(m.records[0]).length + 1);
  });
});
