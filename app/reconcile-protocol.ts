/** What the scheduled reconciliation's host and its worker say to each other (app/reconcile-job.ts). */
import type { BourseConfig } from "./config.ts";
import type { Break, BreakKind } from "../reconcile/breaks.ts";
import type { VenueSide } from "../reconcile/venue-vs-ours.ts";

export interface JobInit {
  dataDir: string;
  config: BourseConfig;
  /** YYYY-MM-DD, UTC. */
  day: string;
  /** The report's directory. */
  out: string;
  custody: string | null;
  custodyToleranceUs: number;
  venues: VenueSide[];
}

export type JobReport =
  | { type: "breaks"; breaks: Break[] }
  | { type: "done"; day: string; summary: string; notes: string[]; open: number; resolved: number; counts: Record<BreakKind, number>; lastSeq: number; report: string }
  | { type: "failed"; message: string };

export type JobResult = Extract<JobReport, { type: "done" }>;
