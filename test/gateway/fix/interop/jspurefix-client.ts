/**
 * A stock FIX engine from npm — jspurefix (MIT, https://github.com/TimelordUK/jspurefix) —
 * as a test counterparty for Bourse's FIX 4.4 acceptor, usable in-process under Bun.
 *
 *   const fix = await connectJspurefix({ host: "127.0.0.1", port, senderCompId: "CLIENT1",
 *     targetCompId: "BOURSE", username: "alice", password: "secret" });
 *   await fix.logon();
 *   fix.send("D", { ClOrdID: "1", Symbol: "BTC-USD", Side: "1", OrderQty: 2, OrdType: "2",
 *     Price: 100, TimeInForce: "1", TransactTime: new Date() });
 *   const er = await fix.next("8");        // er.body.OrdStatus, er.flat.Symbol, er.raw ...
 *   await fix.logout();
 *
 * How jspurefix is driven here:
 * - Dictionary: jspurefix's bundled QuickFIX FIX 4.4 dictionary (`qf44` = data/FIX44.xml),
 *   which ships as plain XML in the npm tarball — no `unzip-repo`/postinstall step is needed,
 *   so it works after a bare `npm ci` (even with install scripts blocked). It is parsed once
 *   per process (~150 ms) and the parsed definitions are shared by every session.
 * - No SessionLauncher: we build jspurefix's DI container ourselves (SessionContainer) so the
 *   logger and the cached dictionary can be injected per session, and so we hold the session
 *   object (to send, read sequence numbers, log out).
 * - Logging: jspurefix's winston console logger is never installed; its log lines go to an
 *   in-memory buffer, written to `<logDir>/jspurefix-<SenderCompID>-<n>.log` when the session
 *   ends (logDir defaults to <tmp>/bourse-jspurefix-logs). Set JSPUREFIX_LOG=1 to echo them to stderr while debugging.
 * - Validation: a jspurefix initiator does not validate inbound messages by default
 *   (`checkMsgIntegrity` is on only for acceptors). We switch it on (opts.validate, default
 *   true), so a message from our acceptor that lacks a field the FIX 4.4 dictionary marks
 *   required, carries a tag not defined for that message, or has a bad checksum or CompIDs,
 *   is answered by jspurefix with a session Reject (35=3) and NOT delivered; `next()` then
 *   fails at once with jspurefix's reason instead of timing out.
 *
 * What jspurefix 5.11 does on the wire that an acceptor must cope with (seen in the self-test):
 * - Logon: 98=0, 108=<heartBtInt>, 141=Y (or 141=N when resetSeqNum is false — always sent),
 *   553/554 only when username/password are given. Header order 8,9,35,49,56,34,52; BodyLength
 *   zero-padded to 7 digits (9=0000067); timestamps with milliseconds.
 * - Heartbeats it sends unprompted still carry 112 (TestReqID = a date string).
 * - It sends a TestRequest after 1.5 × the *acceptor's* HeartBtInt (108 in the Logon response)
 *   of silence and drops the connection, without a Logout, after 2.5 ×.
 * - A MsgSeqNum lower than expected (without PossDupFlag) makes it drop the connection without a
 *   Logout; a gap makes it send ResendRequest(7=<expected>, 16=0).
 * - It answers any ResendRequest with a single SequenceReset-GapFill (43=Y, 123=Y, 36=next) —
 *   it never replays application messages, even with the file store.
 * - Logout text: "58=jspurefix-<SenderCompID> initiate logout".
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as JspurefixModule from "jspurefix";
import { flattenBody, nestBody } from "./jspurefix-body.ts";

// jspurefix (CommonJS) resolves tsyringe at load time, and tsyringe refuses to load without
// the reflect-metadata polyfill. Load the polyfill jspurefix itself depends on — resolved
// from jspurefix's own location, so this doesn't rely on npm hoisting — before jspurefix.
const requireHere = createRequire(import.meta.url);
createRequire(requireHere.resolve("jspurefix"))("reflect-metadata");
/** The jspurefix module (runtime value), for tests that need its classes, e.g. AsciiSession. */
export const jspurefix: typeof JspurefixModule = requireHere("jspurefix");

type IJsFixConfig = JspurefixModule.IJsFixConfig;
type IJsFixLogger = JspurefixModule.IJsFixLogger;
type ISessionDescription = JspurefixModule.ISessionDescription;
type MsgView = JspurefixModule.MsgView;
type FixDefinitions = JspurefixModule.FixDefinitions;
type FixEntity = JspurefixModule.FixEntity;
type DependencyContainer = IJsFixConfig["sessionContainer"];

/**
 * Default log directory. Fixed (not mkdtemp) so repeated runs overwrite rather than pile up:
 * files are named by SenderCompID and a per-process connection counter.
 */
export const DEFAULT_LOG_DIR = join(tmpdir(), "bourse-jspurefix-logs");

/** Dictionary alias (jspurefix data/dictionary.json) or an absolute path to a QuickFIX XML. */
export const DEFAULT_DICTIONARY = "qf44";

/** One message received from the peer. */
export interface FixMessage {
  /** MsgType (35), e.g. "8". */
  msgType: string;
  /**
   * jspurefix's object form (MsgView.toObject()): fields by dictionary name, components as
   * nested objects (Instrument, OrderQtyData, ...), repeating groups as arrays, header under
   * StandardHeader. Values are typed: numbers for Qty/Price/Amt/Int/SeqNum, Date for
   * UTCTimestamp, boolean for Boolean (Y/N), strings for char/String enums ("0", "1", ...).
   */
  body: any;
  /** body with the simple fields of components (incl. StandardHeader) hoisted to the top level; groups left out. */
  flat: Record<string, unknown>;
  /** The message as received, SOH shown as "|". */
  raw: string;
  /** MsgSeqNum (34). */
  seqNum: number;
}

export interface FixCounterparty {
  /** Resolves once logged on; rejects with the Logout (or session Reject) Text if refused, or if the session ends first. */
  logon(): Promise<void>;
  /**
   * Send an application message. `body` may use jspurefix's nested object form or a flat form:
   * any field that is not directly on the message is placed in the (non-group) component that
   * declares it, e.g. Symbol → Instrument.Symbol, OrderQty → OrderQtyData.OrderQty. Throws on a
   * field the dictionary doesn't know for that message (jspurefix itself would drop it silently)
   * and when the session is not running. Values: strings for char/String enums, numbers for
   * Qty/Price, Date for UTCTimestamp, boolean for Y/N.
   */
  send(msgType: string, body: Record<string, unknown>): void;
  /**
   * The next message received (FIFO), optionally the next one of `msgType` (skipping, and
   * keeping queued, others). Queued: application messages, plus session Reject (3) and Logout (5)
   * from the peer; never Heartbeat/TestRequest/ResendRequest/SequenceReset/Logon.
   * Rejects after timeoutMs (default 5000), when the session ends with nothing matching queued,
   * or — with validation on — as soon as jspurefix rejects a message from the peer.
   */
  next(msgType?: string, timeoutMs?: number): Promise<FixMessage>;
  /** Messages received and not yet taken by next(). */
  readonly pending: readonly FixMessage[];
  /** Send Logout, wait for the peer's Logout and the socket to close (force-closes after timeoutMs, default 5000). Idempotent. */
  logout(timeoutMs?: number): Promise<void>;
  /** Drop the connection without a Logout (simulates a crash / network loss). */
  kill(): Promise<void>;
  /** Resolves (never rejects) when the session has ended, with the error it ended on, if any. */
  readonly closed: Promise<Error | undefined>;
  /** Last MsgSeqNum received from the peer. */
  readonly seqIn: number;
  /** Last MsgSeqNum we sent. */
  readonly seqOut: number;
  /** Session-level Rejects (35=3) jspurefix sent to the peer, as raw text — i.e. our acceptor's messages it refused. */
  readonly rejectsSent: readonly string[];
  /** Wire log, both directions, SOH shown as "|", each line prefixed "<- " (received) or "-> " (sent). */
  readonly wire: readonly string[];
  /** jspurefix's own log lines (session state machine etc.). */
  readonly log: readonly string[];
  /** Where the log is written on close. */
  readonly logFile: string;
}

export interface JspurefixOptions {
  host: string;
  port: number;
  senderCompId: string;
  targetCompId: string;
  /** Sent as Username (553) on the Logon; omitted when undefined. */
  username?: string;
  /** Sent as Password (554) on the Logon; omitted when undefined. */
  password?: string;
  /** HeartBtInt (108) in seconds; default 30. */
  heartBtInt?: number;
  /**
   * Default true: the Logon carries 141=Y and starts at MsgSeqNum 1 (jspurefix clears its store first).
   * false: the Logon carries 141=N and sequence numbers continue from the store (use with storeDir).
   */
  resetSeqNum?: boolean;
  /** Persist sequence numbers/messages in QuickFIX-style files here (jspurefix file store); default in-memory. */
  storeDir?: string;
  /** Seed the sequence numbers of a new (non-persisted) session; only meaningful with resetSeqNum false. */
  lastSentSeqNum?: number;
  lastReceivedSeqNum?: number;
  /** Validate inbound messages against the dictionary (default true). */
  validate?: boolean;
  /** Extra/overridden Logon fields (jspurefix "Logon" block); null suppresses a field. */
  logonFields?: Record<string, unknown>;
  /** Dictionary alias or absolute path; default "qf44". */
  dictionary?: string;
  /** Directory for the log file; default DEFAULT_LOG_DIR (<tmp>/bourse-jspurefix-logs). */
  logDir?: string;
  /** Give up connecting after this many seconds (retrying each second); default 5. */
  connectTimeoutSeconds?: number;
}

// ---------------------------------------------------------------------------------------------
// dictionary cache and logging

const definitionCache = new Map<string, Promise<FixDefinitions>>();

/** Parsed dictionary, cached per process (the first parse of qf44 takes ~150 ms). */
export function loadDefinitions(dictionary: string = DEFAULT_DICTIONARY): Promise<FixDefinitions> {
  let p = definitionCache.get(dictionary);
  if (!p) {
    p = new jspurefix.DefinitionFactory().getDefinitions(dictionary);
    definitionCache.set(dictionary, p);
    p.catch(() => definitionCache.delete(dictionary));
  }
  return p;
}

class CachingDefinitionFactory extends jspurefix.DefinitionFactory {
  override getDefinitions(path: string): Promise<FixDefinitions> {
    return loadDefinitions(path);
  }
}

const echo = process.env.JSPUREFIX_LOG === "1" || process.env.JSPUREFIX_LOG === "true";

/** Collects jspurefix's log lines in memory instead of winston's console transport. */
export class CapturingLogFactory extends jspurefix.JsFixLoggerFactory {
  readonly lines: string[] = [];
  constructor(readonly tag: string, private readonly maxLines = 20_000) {
    super();
  }
  private add(level: string, type: string, message: string): void {
    const line = `${new Date().toISOString()} ${level} [${this.tag}:${type}] ${message}`;
    if (this.lines.length >= this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines + 1);
    this.lines.push(line);
    if (echo) process.stderr.write(`${line}\n`);
  }
  override logger(type: string): IJsFixLogger {
    return {
      info: (m: string) => this.add("info", type, m),
      warning: (m: string) => this.add("warn", type, m),
      debug: (m: string) => this.add("debug", type, m),
      error: (e: Error) => this.add("error", type, e?.stack ?? String(e)),
    };
  }
  override plain(fileName: string): IJsFixLogger {
    return this.logger(fileName);
  }
}

/**
 * jspurefix's DI container, with the cached dictionary and our logger factory registered on
 * each session's child container (so two sessions in one process never share either through
 * tsyringe's global container).
 */
class HarnessSessionContainer extends jspurefix.SessionContainer {
  constructor(private readonly logFactory: CapturingLogFactory) {
    super();
  }
  override newChild(description: ISessionDescription): DependencyContainer {
    const child = super.newChild(description);
    child.registerInstance(jspurefix.DefinitionFactory, new CachingDefinitionFactory());
    child.registerInstance(jspurefix.DITokens.JsFixLoggerFactory, this.logFactory);
    return child;
  }
}

let globalsRegistered = false;
/**
 * Build a jspurefix session system (DI container with config, transport and session factory)
 * for a description, the way SessionLauncher does, and return its FixEntity (TcpInitiatorConnector
 * for an initiator, TcpAcceptorListener for an acceptor) — call start() on it to run.
 */
export async function makeJspurefixEntity(
  description: ISessionDescription,
  logFactory: CapturingLogFactory,
  makeSession: (config: IJsFixConfig) => JspurefixModule.FixSession,
): Promise<FixEntity> {
  const sc = new HarnessSessionContainer(logFactory);
  if (!globalsRegistered) {
    // registers RuntimeFactory/ElasticBuffer (and defaults we shadow per child) on tsyringe's global container
    sc.registerGlobal(new jspurefix.EmptyLogFactory());
    globalsRegistered = true;
  }
  const container = await sc.makeSystem(description);
  container.register(jspurefix.DITokens.FixSession, {
    useFactory: (c) => makeSession(c.resolve<IJsFixConfig>(jspurefix.DITokens.IJsFixConfig)),
  });
  return container.resolve<FixEntity>(jspurefix.DITokens.FixEntity);
}

// ---------------------------------------------------------------------------------------------
// flat <-> nested bodies

/** Messages the session layer consumes and next() never sees. */
const SESSION_ONLY = new Set(["0", "1", "2", "4", "A"]);

interface Waiter {
  msgType?: string;
  resolve: (m: FixMessage) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

class HarnessInitiatorSession extends jspurefix.AsciiSession {
  readonly queue: FixMessage[] = [];
  readonly waiters: Waiter[] = [];
  readonly rejectsSent: string[] = [];
  readonly wire: string[] = [];
  private lastDecoded = "";
  private ready = false;
  private refusal: string | null = null;
  private stoppedWith: Error | undefined | null = null; // null = still running
  onReadyCb: () => void = () => {};
  onRefusedCb: (e: Error) => void = () => {};
  onStoppedCb: (e: Error | undefined) => void = () => {};

  constructor(config: IJsFixConfig, validate: boolean) {
    super(config);
    this.checkMsgIntegrity = validate;
  }

  get isStopped(): boolean {
    return this.stoppedWith !== null;
  }

  protected override onDecoded(_msgType: string, txt: string): void {
    this.lastDecoded = txt;
    this.wire.push(`<- ${txt}`);
  }

  protected override onEncoded(msgType: string, txt: string): void {
    this.wire.push(`-> ${txt}`);
    if (msgType === "3") {
      this.rejectsSent.push(txt);
      const text = /\|58=([^|]*)/.exec(txt)?.[1] ?? txt;
      const e = new Error(`jspurefix rejected a message from the peer: ${text}\n  sent: ${txt}\n  after: ${this.lastDecoded}`);
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer);
        w.reject(e);
      }
    }
  }

  protected override onMsg(msgType: string, view: MsgView): void {
    // Capture before jspurefix's state machine acts: it ignores a Logout received while
    // waiting for the Logon response, and a view is only valid during this callback.
    if (!this.ready && (msgType === "5" || msgType === "3")) {
      const text = view.getString(58) ?? "(no Text)";
      this.refusal ??= msgType === "5" ? `Logout: ${text}` : `Reject: ${text}`;
    }
    if (msgType === "5" || msgType === "3") this.enqueue(msgType, view);
    super.onMsg(msgType, view);
  }

  protected override onApplicationMsg(msgType: string, view: MsgView): void {
    if (!SESSION_ONLY.has(msgType)) this.enqueue(msgType, view);
  }

  private enqueue(msgType: string, view: MsgView): void {
    const body = view.toObject() as Record<string, any> | null;
    const msg: FixMessage = {
      msgType,
      body,
      flat: flattenBody(body),
      raw: this.lastDecoded,
      seqNum: Number(view.getTyped(34)),
    };
    const i = this.waiters.findIndex((w) => w.msgType === undefined || w.msgType === msgType);
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      clearTimeout(w!.timer);
      w!.resolve(msg);
    } else {
      this.queue.push(msg);
    }
  }

  protected override onReady(): void {
    this.ready = true;
    this.onReadyCb();
  }

  protected override onLogon(): boolean {
    return true; // the acceptor's Logon response; nothing to check on our side
  }

  protected override onStopped(error?: Error): void {
    this.stoppedWith = error;
    if (!this.ready) {
      this.onRefusedCb(
        new Error(this.refusal ?? `session ended before logon completed${error ? `: ${error.message}` : ""}`),
      );
    }
    const e = new Error(`jspurefix session ended${error ? `: ${error.message}` : ""}`);
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(e);
    }
    this.onStoppedCb(error);
  }

  sendApp(msgType: string, obj: Record<string, unknown>): void {
    let failure: Error | null = null;
    this.send(msgType, obj, (err) => {
      if (err) failure = err;
    });
    if (failure) throw failure;
  }

  /** Stop without a Logout, dropping the socket now. */
  kill(reason: string): void {
    const t = this.transport;
    this.requestStop(reason);
    (t?.duplex as { destroy?: () => void } | undefined)?.destroy?.();
  }
}

let instance = 0;

export async function connectJspurefix(opts: JspurefixOptions): Promise<FixCounterparty> {
  const dictionary = opts.dictionary ?? DEFAULT_DICTIONARY;
  const definitions = await loadDefinitions(dictionary);
  const logDir = opts.logDir ?? DEFAULT_LOG_DIR;
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `jspurefix-${opts.senderCompId}-${++instance}.log`);
  const logFactory = new CapturingLogFactory(opts.senderCompId);
  const resetSeqNum = opts.resetSeqNum ?? true;

  const description = {
    application: {
      type: "initiator",
      name: `jspurefix-${opts.senderCompId}`,
      protocol: "ascii",
      dictionary,
      reconnectSeconds: 1,
      connectTimeoutSeconds: opts.connectTimeoutSeconds ?? 5,
      tcp: { host: opts.host, port: opts.port },
    },
    BeginString: "FIX.4.4",
    SenderCompId: opts.senderCompId,
    TargetCompID: opts.targetCompId,
    Username: opts.username,
    Password: opts.password,
    HeartBtInt: opts.heartBtInt ?? 30,
    ResetSeqNumFlag: resetSeqNum,
    ...(opts.lastSentSeqNum !== undefined ? { LastSentSeqNum: opts.lastSentSeqNum } : {}),
    ...(opts.lastReceivedSeqNum !== undefined ? { LastReceivedSeqNum: opts.lastReceivedSeqNum } : {}),
    ...(opts.storeDir ? { store: { type: "file", directory: opts.storeDir } } : {}),
    ...(opts.logonFields ? { Logon: opts.logonFields } : {}),
  } as unknown as ISessionDescription;

  let session: HarnessInitiatorSession | null = null;
  let onConnected: () => void = () => {};
  let onConnectFailed: (e: Error) => void = () => {};
  const connected = new Promise<void>((res, rej) => {
    onConnected = res;
    onConnectFailed = rej;
  });
  let resolveLogon!: () => void;
  let rejectLogon!: (e: Error) => void;
  const loggedOn = new Promise<void>((res, rej) => {
    resolveLogon = res;
    rejectLogon = rej;
  });
  loggedOn.catch(() => {}); // surfaced through logon(); don't let an unobserved refusal crash the run
  let resolveClosed!: (e: Error | undefined) => void;
  const closed = new Promise<Error | undefined>((res) => (resolveClosed = res));

  const writeLog = () => {
    try {
      writeFileSync(logFile, [...logFactory.lines, "", "--- wire ---", ...(session?.wire ?? [])].join("\n") + "\n");
    } catch {
      // best effort
    }
  };

  const entity = await makeJspurefixEntity(description, logFactory, (config) => {
    const s = new HarnessInitiatorSession(config, opts.validate ?? true);
    s.onReadyCb = resolveLogon;
    s.onRefusedCb = (e) => {
      // jspurefix drops some sessions without a Logout (e.g. MsgSeqNum lower than expected);
      // its last warning says why
      const warn = logFactory.lines.findLast((l) => / warn \[/.test(l));
      rejectLogon(warn && !e.message.startsWith("Logout:") ? new Error(`${e.message} (jspurefix: ${warn.replace(/^.*? warn /, "")})`) : e);
    };
    s.onStoppedCb = (e) => {
      writeLog();
      resolveClosed(e);
    };
    // run(transport) is called once the TCP connection is up, just before the Logon goes out
    const run = s.run.bind(s);
    s.run = (transport) => {
      onConnected();
      return run(transport);
    };
    session = s;
    return s;
  });

  // start() resolves when the session ends, rejects if the TCP connect fails
  entity.start().then(
    () => resolveClosed(undefined),
    (e: Error) => {
      onConnectFailed(e);
      rejectLogon(e);
      writeLog();
      resolveClosed(e);
    },
  );
  await connected;
  const s = session as unknown as HarnessInitiatorSession;

  let loggingOut: Promise<void> | null = null;
  const api: FixCounterparty = {
    logon: () => loggedOn,
    send(msgType, body) {
      if (s.isStopped) throw new Error(`jspurefix session has ended; cannot send ${msgType}`);
      const def = definitions.message.get(msgType);
      if (!def) throw new Error(`jspurefix harness: no MsgType '${msgType}' in dictionary ${dictionary}`);
      s.sendApp(msgType, nestBody(def, body));
    },
    next(msgType, timeoutMs = 5000) {
      const i = s.queue.findIndex((m) => msgType === undefined || m.msgType === msgType);
      if (i >= 0) return Promise.resolve(s.queue.splice(i, 1)[0]!);
      if (s.isStopped) return Promise.reject(new Error(`jspurefix session has ended; no ${msgType ?? "message"} queued`));
      return new Promise<FixMessage>((resolve, reject) => {
        const w: Waiter = {
          msgType,
          resolve,
          reject,
          timer: setTimeout(() => {
            const k = s.waiters.indexOf(w);
            if (k >= 0) s.waiters.splice(k, 1);
            const queued = s.queue.map((m) => m.msgType).join(",") || "nothing";
            reject(new Error(`timed out after ${timeoutMs} ms waiting for ${msgType ?? "a message"} (queued: ${queued})`));
          }, timeoutMs),
        };
        s.waiters.push(w);
      });
    },
    get pending() {
      return s.queue;
    },
    logout(timeoutMs = 5000) {
      loggingOut ??= (async () => {
        if (!s.isStopped) s.done();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const forced = new Promise<void>((res) => {
          timer = setTimeout(() => {
            s.kill("logout not confirmed in time");
            res();
          }, timeoutMs);
        });
        await Promise.race([closed.then(() => {}), forced]);
        clearTimeout(timer);
        await closed;
      })();
      return loggingOut;
    },
    async kill() {
      if (!s.isStopped) s.kill("killed by test");
      await closed;
    },
    closed,
    get seqIn() {
      return s.lastPeerSeqNum();
    },
    get seqOut() {
      return s.lastSentSeqNum();
    },
    get rejectsSent() {
      return s.rejectsSent;
    },
    get wire() {
      return s.wire;
    },
    get log() {
      return logFactory.lines;
    },
    logFile,
  };
  return api;
}
