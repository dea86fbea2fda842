import type { GpuSample } from '../../../shared/api';
import { formatMiB, gpuSeries, hasGpuReadings, linePath, shortDateTime } from '../format';

const W = 640;
const H = 160;

/** GPU utilisation and VRAM in use over the recent scans, drawn as two lines. */
export function GpuChart({ samples }: { samples: GpuSample[] }) {
  // One line, not a card-sized empty state: most machines without an NVIDIA GPU run models on
  // the CPU (or Apple silicon, whose counters unprivileged tools cannot read), and the loaded
  // models below say where each one sits.
  if (!hasGpuReadings(samples))
    return (
      <p className="muted small" data-testid="gpu-empty">
        No NVIDIA GPU readings: Paddock charts utilisation and memory from nvidia-smi, which this
        computer does not have. The loaded models below say whether each runs on a GPU or the CPU.
      </p>
    );
  const series = gpuSeries(samples);
  const last = samples[samples.length - 1]!;
  const first = samples[0]!;
  const summary = `GPU utilisation and VRAM over ${samples.length} readings; latest ${last.utilizationPercent ?? '—'}% busy, ${formatMiB(last.memoryUsedMiB)} of ${formatMiB(last.memoryTotalMiB)} in use.`;
  return (
    <figure className="chart" data-testid="gpu-chart">
      <svg
        viewBox={`-46 -10 ${W + 54} ${H + 30}`}
        role="img"
        aria-label={summary}
        preserveAspectRatio="xMidYMid meet"
      >
        {[0, 25, 50, 75, 100].map((v) => {
          const y = H - (v / 100) * H;
          return (
            <g key={v}>
              <line x1={0} x2={W} y1={y} y2={y} className="grid" />
              <text x={-8} y={y + 4} className="axis" textAnchor="end">
                {v}%
              </text>
            </g>
          );
        })}
        <path d={linePath(series.vram, W, H)} className="line line-vram" />
        <path d={linePath(series.utilization, W, H)} className="line line-util" />
        <text x={0} y={H + 18} className="axis">
          {shortDateTime(first.at)}
        </text>
        <text x={W} y={H + 18} className="axis" textAnchor="end">
          {shortDateTime(last.at)}
        </text>
      </svg>
      <figcaption className="legend">
        <span className="key key-util" aria-hidden="true" /> Utilisation (latest{' '}
        {last.utilizationPercent ?? '—'}%)
        <span className="key key-vram" aria-hidden="true" /> VRAM in use (latest{' '}
        {formatMiB(last.memoryUsedMiB)} of {formatMiB(last.memoryTotalMiB)})
      </figcaption>
    </figure>
  );
}
