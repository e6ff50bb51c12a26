/**
 * The engine's worker (workers: 1): the whole embedded Runtime — sequencer, engine, journal,
 * snapshots — on its own thread. Commands arrive through the command ring, each slot carrying the
 * submitter's token where the sequence number will go; every command available at the barrier is
 * submitted and flushed as one group commit (batching at the barrier, not on a timer). The fdatasync
 * runs on the syncer thread; this loop never yields to its event loop, so it polls the syncer's
 * progress itself and delivers each batch once a sync covers it. Deliveries go back through the
 * event ring: the command's events, then an END record with its token.
 */
import { portfolio } from "../engine/pnl.ts";
import { createLogger } from "../log/logger.ts";
import { Command } from "../engine/commands.ts";
import { EVENT_WIDTH } from "../engine/events.ts";
import { encodeEvent } from "./layout/event-layout.ts";
import { DataDirError } from "./data-dir-errors.ts";
import { JournalCorruptError } from "./journal/segment.ts";
import { readRecoveredState } from "./recovered-state.ts";
import { Ring } from "./ring/ring.ts";
import { Runtime } from "./runtime.ts";
import type { RuntimeOptions } from "./runtime-options.ts";
import { decodeCommand } from "./layout/schema.ts";
import { Stage } from "./ring/stage.ts";
import { CONTROL, END_EVENT, type WorkerInit, type WorkerMessage } from "./worker-protocol.ts";

declare const self: Worker;

/**
 * Longest park while batches wait for their sync. The syncer's notify can land between the check
 * and the park (it does not change the word parked on); this bounds how late that is noticed.
 */
const PENDING_PARK_MS = 1;

self.onmessage = (e: MessageEvent<WorkerInit>) => {
  const { cmdSab, evSab, options } = e.data;
  const cmds = Ring.attach(cmdSab);
  const events = Ring.attach(evSab);
  let runtime: Runtime;
  try {
    // This loop drives flush() itself and never yields to the event loop: no auto-flush callbacks.
    // The syncer also notifies the command ring's cursor after every sync: that is the one word
    // this loop parks on, so new commands and finished syncs both wake it.
    const wake = { sab: cmdSab, index: cmds.cursor.index };
    runtime = Runtime.start({ ...(options as RuntimeOptions), autoFlush: false, syncerWake: wake, log: createLogger({ level: "debug", rateLimit: false, sink: (record) => self.postMessage({ kind: "log", record }) }) });
  } catch (err) {
    const failed: WorkerMessage =
      err instanceof DataDirError
        ? { kind: "failed", message: err.message, operator: true }
        : { kind: "failed", message: `recovery failed: ${(err as Error).message}`, corrupt: err instanceof JournalCorruptError ? { file: err.file, offset: err.offset, detail: err.detail } : undefined };
    self.postMessage(failed);
    return;
  }
  // The doors start from the recovered books and open orders; only this thread can read them.
  const symbols = runtime.exchange.config.instruments.map((i) => i.id);
  // The snapshotter replica is this thread's child; the main thread watches its progress (settled()) through its buffer.
  const snapshotter = (runtime.snapshotter?.progress.cells.buffer as SharedArrayBuffer | undefined) ?? null;
  const ready: WorkerMessage = { kind: "ready", lastSeq: runtime.lastSeq, recovered: readRecoveredState(runtime.exchange, symbols), snapshotter, deadline: runtime.deadline, deadlineSymbol: runtime.deadlineSymbol };
  self.postMessage(ready);

  const end = new Float64Array(EVENT_WIDTH);
  const view = events.view;
  // A command can have more events than the ring has slots (a sweep through many levels): write
  // them in chunks of at most half the ring, each published as it is written.
  const chunk = Math.max(1, events.size >> 1);
  // The last seq whose END record went out: what the main thread waits to read at close (after a
  // journal failure lastSeq counts batches written but never delivered).
  let delivered = runtime.lastSeq;
  runtime.onDelivery((seq, token, buf, from, to, time) => {
    delivered = seq;
    const n = to - from;
    end[0] = END_EVENT;
    end[2] = token;
    end[5] = time;
    end[6] = n;
    // The engine's next deadline as of now (after this command ran): the host's DeadlineTimer runs on it.
    end[7] = runtime.deadline;
    end[8] = runtime.deadlineSymbol;
    for (let i = 0; i <= n; ) {
      const k = Math.min(n + 1 - i, chunk);
      const lo = events.claim(k);
      for (let j = 0; j < k; j++, i++) {
        if (i < n) encodeEvent(buf.data, (from + i) * EVENT_WIDTH, seq, view, events.offset(lo + j));
        else encodeEvent(end, 0, seq, view, events.offset(lo + j));
      }
      events.publish((lo + k - 1) | 0);
    }
  });

  // Why it stopped, for the main thread's log, /health and the exit line.
  let failure = "";
  runtime.onStop((e) => (failure = e.message));

  // Every command available at the barrier is one batch: submitted, then flushed as one group
  // commit at endOfBatch, before the stage publishes its progress (the producer reuses the slots).
  const cmd = new Command();
  const stage = Stage.of(
    cmds,
    0,
    [],
    (_seq, offset, endOfBatch) => {
      const token = decodeCommand(cmds.view, offset, cmd);
      if (cmd.type === CONTROL.CLOSE) stage.halt(); // the rest of the batch still runs
      else if (cmd.type === CONTROL.PORTFOLIO) {
        // A read between commands, never journaled: what was submitted before it is executed first
        // (its write goes out as usual); plain data (BigInts clone) for the main thread.
        runtime.flush();
        self.postMessage({ kind: "portfolio", token, seq: runtime.lastSeq, portfolio: portfolio(runtime.exchange.ledger, cmd.account) ?? null });
      } else if (cmd.type === CONTROL.SNAPSHOT) {
        runtime.flush();
        if (!runtime.stopped) runtime.snapshot();
      } else if (cmd.type === CONTROL.FINAL_SNAPSHOT) {
        runtime.finalSnapshot();
      } else if (!runtime.stopped) runtime.submit(cmd, token);
      if (endOfBatch) runtime.flush();
    },
    {
      between: () => {
        runtime.poll();
        if (runtime.stopped) stage.halt();
        // Nothing new to execute, batches waiting for their sync: park until either happens.
        return runtime.pendingBatches > 0 ? PENDING_PARK_MS : Infinity;
      },
    },
  );
  stage.run();
  if (runtime.stopped) self.postMessage({ kind: "failed", message: failure || "the engine stopped after a failure; restart to recover from the journal" });
  runtime.close();
  self.postMessage({ kind: "closed", lastSeq: delivered });
};
