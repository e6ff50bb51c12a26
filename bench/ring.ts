/**
 * Ring benchmark: raw pass-through rate of actors/ring/ring.ts between two threads.
 *
 *   bun run bench/ring.ts [--seconds S] [--trials T] [--size N] [--spins K] [--producer worker|main] [--json]
 *
 * A producer copies a prepared message into each claimed slot (Uint8Array.set of slotBytes bytes),
 * stamps its sequence, and publishes once per claim of `batch` slots. A consumer Stage in another
 * worker checks each slot's sequence word and reads its last word, publishing its own sequence
 * once per batch it sees. Rate = messages / time between the consumer's first and last message.
 * Slot sizes 128 and 256 bytes, producer batches 1 and 64; per configuration one short warm-up and
 * T timed trials of S seconds, median reported. The producer is a worker by default (the main thread
 * then only waits for results); `--producer main` runs it on the main thread with the async API.
 *
 * This file is also the worker script (it starts itself as a Worker). Progress goes to stderr; with
 * --json the last line of stdout is one JSON object.
 */
import { cpus, loadavg } from "node:os";
import { Ring } from "../actors/ring/ring.ts";
import { Stage } from "../actors/ring/stage.ts";
import type { WaitOptions } from "../actors/ring/wait.ts";
import { parseFlags } from "./kit/args.ts";

const STOP = 0x53544f50; // "STOP" in the second word of the last message

interface ProduceJob {
  kind: "produce";
  sab: SharedArrayBuffer;
  batch: number;
  seconds: number;
  wait: WaitOptions;
}
interface ConsumeJob {
  kind: "consume";
  sab: SharedArrayBuffer;
  wait: WaitOptions;
}
interface ProduceResult {
  kind: "produce";
  sent: number;
}
interface ConsumeResult {
  kind: "consume";
  received: number;
  bad: number;
  batches: number;
  seconds: number;
}

// ---------------------------------------------------------------- the two parts

function produceSync(job: ProduceJob): ProduceResult {
  const ring = Ring.attach(job.sab, job.wait);
  const i32 = new Int32Array(job.sab);
  const template = new Uint8Array(ring.slotBytes).map((_, i) => i * 7);
  const bytes = ring.bytes;
  const batch = job.batch;
  const end = Bun.nanoseconds() + job.seconds * 1e9;
  let sent = 0;
  let check = 0;
  for (;;) {
    const lo = ring.claim(batch);
    for (let k = 0; k < batch; k++) {
      const seq = (lo + k) | 0;
      const off = ring.offset(seq);
      bytes.set(template, off);
      i32[off >> 2] = seq;
    }
    const hi = (lo + batch - 1) | 0;
    sent += batch;
    if ((check += batch) >= 4096) {
      check = 0;
      if (Bun.nanoseconds() >= end) {
        i32[(ring.offset(hi) >> 2) + 1] = STOP;
        ring.publish(hi);
        return { kind: "produce", sent };
      }
    }
    ring.publish(hi);
  }
}

async function produceAsync(job: ProduceJob): Promise<ProduceResult> {
  const ring = Ring.attach(job.sab, job.wait);
  const i32 = new Int32Array(job.sab);
  const template = new Uint8Array(ring.slotBytes).map((_, i) => i * 7);
  const bytes = ring.bytes;
  const batch = job.batch;
  const end = Bun.nanoseconds() + job.seconds * 1e9;
  let sent = 0;
  let check = 0;
  for (;;) {
    const lo = ring.tryClaim(batch) ?? (await ring.claimAsync(batch));
    for (let k = 0; k < batch; k++) {
      const seq = (lo + k) | 0;
      const off = ring.offset(seq);
      bytes.set(template, off);
      i32[off >> 2] = seq;
    }
    const hi = (lo + batch - 1) | 0;
    sent += batch;
    if ((check += batch) >= 4096) {
      check = 0;
      if (Bun.nanoseconds() >= end) {
        i32[(ring.offset(hi) >> 2) + 1] = STOP;
        ring.publish(hi);
        return { kind: "produce", sent };
      }
    }
    ring.publish(hi);
  }
}

function consume(job: ConsumeJob): ConsumeResult {
  const ring = Ring.attach(job.sab);
  const i32 = new Int32Array(job.sab);
  const lastWord = (ring.slotBytes >> 2) - 1;
  let received = 0;
  let bad = 0;
  let batches = 0;
  let sink = 0;
  let t0 = 0;
  let t1 = 0;
  const stage = Stage.of(ring, 0, [], (seq, off, endOfBatch) => {
    if (received++ === 0) t0 = Bun.nanoseconds();
    const w = off >> 2;
    if (i32[w] !== seq) bad++;
    sink ^= i32[w + lastWord]!;
    if (endOfBatch) batches++;
    if (i32[w + 1] === STOP) {
      t1 = Bun.nanoseconds();
      stage.halt();
    }
  }, { wait: job.wait });
  stage.run();
  if (sink === 0x7fffffff) console.error(""); // keep the read live
  return { kind: "consume", received, bad, batches, seconds: (t1 - t0) / 1e9 };
}

if (!Bun.isMainThread) {
  const self = globalThis as unknown as Worker;
  self.onmessage = (e: MessageEvent<ProduceJob | ConsumeJob>) => {
    const job = e.data;
    postMessage(job.kind === "produce" ? produceSync(job) : consume(job));
  };
}

// ---------------------------------------------------------------- the driver

interface Options {
  seconds: number;
  trials: number;
  size: number;
  spins: number | undefined;
  producer: "worker" | "main";
  json: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { seconds: 1, trials: 3, size: 4096, spins: undefined, producer: "worker", json: false };
  parseFlags(argv, "usage: bun run bench/ring.ts [--seconds S] [--trials T] [--size N] [--spins K] [--producer worker|main] [--json]", {
    "--seconds": (v) => (o.seconds = v.num()),
    "--trials": (v) => (o.trials = Math.max(1, Math.floor(v.num()))),
    "--size": (v) => (o.size = Math.floor(v.num())),
    "--spins": (v) => (o.spins = Math.floor(v.num())),
    "--producer": (v) => {
      const p = v.raw();
      if (p !== "worker" && p !== "main") throw new Error(`--producer is worker or main, got ${p}`);
      o.producer = p;
    },
    "--json": () => (o.json = true),
  }, { grouped: false });
  return o;
}

class Part {
  private readonly worker = new Worker(new URL(import.meta.url));
  run<R>(job: ProduceJob | ConsumeJob): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${job.kind} worker did not answer`)), 60_000);
      this.worker.onmessage = (e: MessageEvent) => {
        clearTimeout(timer);
        resolve(e.data as R);
      };
      this.worker.onerror = (e: ErrorEvent) => {
        clearTimeout(timer);
        reject(new Error(`${job.kind} worker: ${e.message}`));
      };
      this.worker.postMessage(job);
    });
  }
  stop(): void {
    this.worker.terminate();
  }
}

interface Trial {
  rate: number;
  batchesSeen: number;
}

async function trial(o: Options, slotBytes: number, batch: number, seconds: number, producer: Part, consumer: Part): Promise<Trial> {
  const wait: WaitOptions = o.spins === undefined ? {} : { spins: o.spins };
  const ring = Ring.create({ size: o.size, slotBytes, wait });
  const got = consumer.run<ConsumeResult>({ kind: "consume", sab: ring.sab, wait });
  const job: ProduceJob = { kind: "produce", sab: ring.sab, batch, seconds, wait };
  const made = o.producer === "main" ? await produceAsync(job) : await producer.run<ProduceResult>(job);
  const r = await got;
  if (r.received !== made.sent || r.bad !== 0) {
    throw new Error(`lost or damaged messages: sent ${made.sent}, received ${r.received}, ${r.bad} with the wrong sequence`);
  }
  return { rate: (r.received - 1) / r.seconds, batchesSeen: r.received / r.batches };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const producer = new Part();
  const consumer = new Part();
  const rows: Array<{ slotBytes: number; batch: number; rates: number[]; perBatch: number }> = [];
  try {
    for (const slotBytes of [128, 256]) {
      for (const batch of [1, 64]) {
        console.error(`slot ${slotBytes} B, batch ${batch}: warm-up, then ${o.trials} × ${o.seconds} s`);
        await trial(o, slotBytes, batch, Math.min(0.3, o.seconds), producer, consumer);
        const trials: Trial[] = [];
        for (let t = 0; t < o.trials; t++) trials.push(await trial(o, slotBytes, batch, o.seconds, producer, consumer));
        rows.push({ slotBytes, batch, rates: trials.map((t) => t.rate), perBatch: median(trials.map((t) => t.batchesSeen)) });
      }
    }
  } finally {
    producer.stop();
    consumer.stop();
  }

  console.log(`ring pass-through: producer ${o.producer === "main" ? "main thread (async API)" : "worker"} → consumer worker; ` +
    `ring ${o.size} slots; ${o.trials} × ${o.seconds} s per row, median; ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}; Bun ${Bun.version}`);
  console.log("");
  const head = ["slot B", "batch", "msgs/s", "ns/msg", "MB/s", "consumer batch", "trials (M msgs/s)"];
  const body = rows.map((r) => {
    const m = median(r.rates);
    return [
      String(r.slotBytes), String(r.batch), fmt(m), fmt(1e9 / m, 1), fmt((m * r.slotBytes) / 1e6), fmt(r.perBatch, 1),
      r.rates.map((x) => fmt(x / 1e6, 2)).join(" "),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(line(head));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const b of body) console.log(line(b));
  console.log("");
  console.log("consumer batch = mean slots the consumer handled per barrier wait (its own batching).");

  if (o.json) {
    const out: Record<string, number | string> = { producer: o.producer, ring_size: o.size, seconds: o.seconds, trials: o.trials, load_average: Number(loadavg()[0]!.toFixed(2)) };
    for (const r of rows) out[`ring_msgs_per_s_${r.slotBytes}_b${r.batch}`] = Math.round(median(r.rates));
    // Unsuffixed keys are the batch-1 figures: one publish per message, the conservative number.
    for (const r of rows) if (r.batch === 1) out[`ring_msgs_per_s_${r.slotBytes}`] = Math.round(median(r.rates));
    console.log(JSON.stringify(out));
  }
}

if (Bun.isMainThread) await main();
