import type { ScanView } from '../../../shared/api';
import { FindingCard, SeverityBadge } from '../components/FindingCard';
import { InstanceCard } from '../components/InstanceCard';
import { OllamaAbsent, ProbeNotices } from '../components/Notices';
import { Verdict } from '../components/Verdict';
import { SEVERITY_LABEL, groupBySeverity } from '../format';

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
          <div className="grid-cards">
            {view.snapshot.instances.map((instance) => (
              <InstanceCard key={instance.id} instance={instance} />
            ))}
          </div>
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
