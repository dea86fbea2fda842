/**
 * The Prometheus report: the text exposition format (version 0.0.4), for node_exporter's
 * textfile collector (`--collector.textfile.directory`), so Paddock's verdict can be graphed
 * and alerted on beside the machine's other metrics.
 *
 * Metrics (all gauges, names prefixed `paddock_`):
 *   paddock_exposure{exposure}                       1 for the host's verdict, 0 for the others
 *   paddock_exposed                                  1 when `paddock scan` would exit 1: a server
 *                                                    exposed, not accepted, not shared on purpose
 *   paddock_instance_exposure{instance_id,exposure}  the same, one-hot per Ollama instance
 *   paddock_instance_info{instance_id,version}       1 per instance (version "unknown" if not known)
 *   paddock_score                                    0-100, higher is better; no sample when
 *                                                    the scan found no server (nothing to score)
 *   paddock_findings{severity}                       unaccepted findings per severity
 *   paddock_findings_accepted                        accepted findings (shown, not counted)
 *   paddock_scan_timestamp_seconds                   when the scan was taken (Unix time)
 *   paddock_scan_duration_seconds                    how long the scan took
 *   paddock_probe_status{probe,status}               1 for each probe's status, 0 for the others
 *
 * The instance label is `instance_id`, not `instance`: Prometheus attaches its own `instance`
 * label to every scraped series and would rename ours to `exported_instance`.
 *
 * The output is sorted (families by name, samples by label values) and ends with a newline.
 * No sample carries a timestamp: the textfile collector refuses files that do.
 *
 * Writing it is the caller's job, and it must be ATOMIC: the textfile collector reads the
 * directory at every scrape and may see a half-written file. Write `<name>.prom.<random>` in
 * the same directory and rename it over `<name>.prom` (the CLI uses the host's atomic write).
 */
import type { Severity } from '../../../shared/findings';
import type { Exposure, ProbeStatus, Snapshot } from '../../../shared/snapshot';
import type { ReportInput } from './index';
import { exposedAfterAcceptance } from '../assess';
import { SEVERITY_ORDER, buildReport, compareText, plain, probesOf } from './json';

const EXPOSURES: readonly Exposure[] = ['private', 'lan', 'internet', 'unknown'];
const PROBE_STATUSES: readonly ProbeStatus[] = ['ok', 'unavailable', 'denied', 'error'];

type Labels = [name: string, value: string][];
interface Sample {
  labels: Labels;
  value: number;
}
interface Family {
  name: string;
  help: string;
  samples: Sample[];
}

/**
 * A label value as the format wants it: backslash, double quote and line feed escaped. Other
 * control characters become U+FFFD and lone surrogates too (the file must be valid UTF-8).
 */
export function escapeLabelValue(value: unknown): string {
  return plain(value)
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n');
}

/** HELP text: backslash and line feed escaped. */
const escapeHelp = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

const renderLabels = (labels: Labels) =>
  labels.length === 0
    ? ''
    : `{${labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;

function renderFamily(family: Family): string[] {
  const samples = family.samples
    .map((s) => ({ text: `${family.name}${renderLabels(s.labels)}`, value: s.value }))
    .sort((a, b) => compareText(a.text, b.text));
  return [
    `# HELP ${family.name} ${escapeHelp(family.help)}`,
    `# TYPE ${family.name} gauge`,
    ...samples.map((s) => `${s.text} ${formatValue(s.value)}`),
  ];
}

const oneHot = <T extends string>(all: readonly T[], actual: T, labels: (v: T) => Labels) =>
  all.map((v) => ({ labels: labels(v), value: v === actual ? 1 : 0 }));

export function reportPrometheus(input: ReportInput): string {
  const doc = buildReport(input);
  const snapshot = doc.snapshot;
  const taken = Date.parse(doc.generatedAt);
  // Instance ids are unique within a snapshot; keep the first if a bad input repeats one.
  const instances = doc.instances.filter(
    (instance, i, all) => all.findIndex((other) => other.id === instance.id) === i,
  );

  const families: Family[] = [
    {
      name: 'paddock_exposed',
      help: 'Whether a server is exposed and not every exposure is accepted or shared on purpose (chosen machines, a VPN, a password): 1 when `paddock scan` would exit 1.',
      samples: [{ labels: [], value: exposedAfterAcceptance(snapshot, input.findings) ? 1 : 0 }],
    },
    {
      name: 'paddock_exposure',
      help: "Who can reach Ollama on this host (Paddock's verdict): 1 for the verdict, 0 for the others.",
      samples: oneHot(EXPOSURES, doc.verdict, (exposure) => [['exposure', exposure]]),
    },
    {
      name: 'paddock_instance_exposure',
      help: 'Who can reach this Ollama instance: 1 for its exposure, 0 for the others.',
      samples: instances.flatMap((instance) =>
        oneHot(EXPOSURES, instance.exposure, (exposure) => [
          ['instance_id', instance.id],
          ['exposure', exposure],
        ]),
      ),
    },
    {
      name: 'paddock_instance_info',
      help: 'A local LLM server Paddock found, with its kind and version ("unknown" when it could not be read).',
      samples: instances.map((instance) => ({
        labels: [
          ['instance_id', instance.id],
          ['kind', instance.kind],
          ['version', instance.version ?? 'unknown'],
        ],
        value: 1,
      })),
    },
    {
      name: 'paddock_score',
      help: 'Security score, 0-100, higher is better; accepted findings do not count.',
      samples: doc.score === null ? [] : [{ labels: [], value: doc.score }],
    },
    {
      name: 'paddock_findings',
      help: 'Findings not accepted, by severity.',
      samples: SEVERITY_ORDER.map((severity: Severity) => ({
        labels: [['severity', severity]],
        value: doc.counts[severity],
      })),
    },
    {
      name: 'paddock_findings_accepted',
      help: 'Findings whose risk was accepted (shown, not counted in the score).',
      samples: [{ labels: [], value: doc.counts.accepted }],
    },
    {
      name: 'paddock_scan_timestamp_seconds',
      help: 'When the scan was taken, in seconds since the Unix epoch.',
      samples: [{ labels: [], value: Number.isNaN(taken) ? NaN : taken / 1000 }],
    },
    {
      name: 'paddock_scan_duration_seconds',
      help: 'How long the scan took, in seconds.',
      samples: [{ labels: [], value: snapshot.durationMs / 1000 }],
    },
    {
      name: 'paddock_probe_status',
      help: "Each probe's status (ok, unavailable, denied, error): 1 for its status, 0 for the others.",
      samples: probesOf(snapshot).flatMap((probe: keyof Snapshot['probes']) =>
        oneHot(PROBE_STATUSES, snapshot.probes[probe]!.status, (status) => [
          ['probe', probe],
          ['status', status],
        ]),
      ),
    },
  ];

  const lines = families
    .filter((family) => family.samples.length > 0)
    .sort((a, b) => compareText(a.name, b.name))
    .flatMap(renderFamily);
  return `${lines.join('\n')}\n`;
}
