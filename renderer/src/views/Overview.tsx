import type { ScanView } from '../../../shared/api';
import type { ServerKindId } from '../../../shared/servers';
import { SERVER_KIND_NAMES } from '../../../shared/servers';
import type { Instance } from '../../../shared/snapshot';
import { FindingCard, SeverityBadge } from '../components/FindingCard';
import { InstanceCard } from '../components/InstanceCard';
import { OllamaAbsent, ProbeNotices } from '../components/Notices';
import { Verdict } from '../components/Verdict';
import { SEVERITY_LABEL, groupBySeverity } from '../format';

/** Servers grouped by kind, worst exposure first, then by name (Ollama first on a tie). */
function byKind(instances: readonly Instance[]): Array<[ServerKindId, Instance[]]> {
  const rank = { internet: 0, lan: 1, unknown: 2, private: 3 } as const;
  const groups = new Map<ServerKindId, Instance[]>();
  for (const instance of instances)
    groups.set(instance.kind, [...(groups.get(instance.kind) ?? []), instance]);
  const worst = (list: Instance[]) => Math.min(...list.map((i) => rank[i.exposure]));
  return [...groups.entries()].sort(
    ([a, x], [b, y]) =>
      worst(x) - worst(y) ||
      Number(b === 'ollama') - Number(a === 'ollama') ||
      SERVER_KIND_NAMES[a].localeCompare(SERVER_KIND_NAMES[b]),
  );
}

export function Overview({ view }: { view: ScanView }) {
  const groups = groupBySeverity(view.findings);
  const open = view.findings.filter((f) => f.accepted === null).length;
  return (
    <div className="stack">
      <Verdict view={view} />
      <ProbeNotices view={view} />
      <OllamaAbsent view={view} />
      {view.snapshot.instances.length > 0 && (
        <section aria-labelledby="instances-heading">
          <h2 id="instances-heading" className="section-title">
            {view.snapshot.instances.every((i) => i.kind === 'ollama')
              ? 'Ollama servers'
              : 'Local LLM servers'}{' '}
            <span className="count">{view.snapshot.instances.length}</span>
          </h2>
          {byKind(view.snapshot.instances).map(([kind, instances]) => (
            <div key={kind} className="kind-group" data-testid={`kind-group-${kind}`}>
              {view.snapshot.instances.some((i) => i.kind !== 'ollama') && (
                <h3 className="kind-title small">
                  {SERVER_KIND_NAMES[kind]} <span className="count">{instances.length}</span>
                </h3>
              )}
              <div className="grid-cards">
                {instances.map((instance) => (
                  <InstanceCard key={instance.id} instance={instance} />
                ))}
              </div>
            </div>
          ))}
        </section>
      )}
      <section aria-labelledby="findings-heading">
        <h2 id="findings-heading" className="section-title">
          Findings <span className="count">{open} open</span>
          {view.posture.accepted > 0 && (
            <span className="count">{view.posture.accepted} accepted</span>
          )}
        </h2>
        {groups.length === 0 ? (
          <div className="empty card" data-testid="no-findings">
            <p>
              <strong>Nothing to fix.</strong>
            </p>
            <p className="muted">Paddock found no problem in this scan.</p>
          </div>
        ) : (
          groups.map((group) => (
            <section
              key={group.severity}
              className="severity-group"
              aria-label={`${SEVERITY_LABEL[group.severity]} findings`}
            >
              <h3 className="group-title">
                <SeverityBadge severity={group.severity} />{' '}
                <span className="muted small">{group.findings.length}</span>
              </h3>
              <div className="stack-tight">
                {group.findings.map((finding) => (
                  <FindingCard key={finding.id} finding={finding} />
                ))}
              </div>
            </section>
          ))
        )}
      </section>
    </div>
  );
}
