/**
 * Reports to keep or hand over, rendered from one scan: the Snapshot (facts), the Findings
 * (what is wrong) and the Posture (verdict and score). Every renderer is pure (no clock, no
 * I/O), so the same input always gives the same bytes; writing the result is the caller's job
 * (the Prometheus textfile must be written atomically: see prometheus.ts).
 *
 * - json: the stable, documented `paddock-report/1` document (json.ts), the one the other
 *   formats are built from;
 * - md: Markdown for an issue, a wiki or a chat, every value from the system escaped;
 * - html: one self-contained printable page (inline CSS, no script, nothing loaded);
 * - prometheus: the text exposition format for node_exporter's textfile collector.
 *
 * Engine code: only `import type` from shared/ (zod stays out of the CLI's start-up path).
 */
import type { Finding, Posture } from '../../../shared/findings';
import type { Snapshot } from '../../../shared/snapshot';
import { reportHtml } from './html';
import { reportJson } from './json';
import { reportMarkdown } from './markdown';
import { reportPrometheus } from './prometheus';

export interface ReportInput {
  snapshot: Snapshot;
  findings: Finding[];
  posture: Posture;
}

export type ReportFormat = 'json' | 'md' | 'html' | 'prometheus';

/** The formats, in the order a help text lists them. */
export const REPORT_FORMATS: readonly ReportFormat[] = ['json', 'md', 'html', 'prometheus'];

export function renderReport(format: ReportFormat, input: ReportInput): string {
  switch (format) {
    case 'json':
      return reportJson(input);
    case 'md':
      return reportMarkdown(input);
    case 'html':
      return reportHtml(input);
    case 'prometheus':
      return reportPrometheus(input);
    default: {
      const unknown: never = format;
      throw new Error(`unknown report format: ${String(unknown)}`);
    }
  }
}

export { buildReport } from './json';
export type { ReportDocument, ReportFinding, ReportInstance, ReportListener } from './json';
export { reportHtml, reportJson, reportMarkdown, reportPrometheus };
