import { useEffect, useRef, useState } from 'react';
import type { ScanView } from '../../../shared/api';
import type { ServerKindId } from '../../../shared/servers';
import { SERVER_KIND_NAMES } from '../../../shared/servers';
import type { Instance } from '../../../shared/snapshot';
import { Badge } from '../components/Badge';
import { FindingCard } from '../components/FindingCard';
import { InstanceCard } from '../components/InstanceCard';
import { NoServerPanel, ProbeNotices } from '../components/Notices';
import { RemoteClientAlert } from '../components/RemoteClientAlert';
import { Verdict } from '../components/Verdict';
import {
  EXPOSURE_TONE,
  groupByFix,
  instanceModels,
  instanceReachWords,
  recommendedAction,
  serverName,
} from '../format';

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

/** A server in one line (name, reach, version, models); its details one click away. */
function ServerLine({ instance }: { instance: Instance }) {
  const { models } = instanceModels(instance);
  const facts = [
    instance.version ? `version ${instance.version}` : 'version unknown',
    ...(instance.kind === 'ollama' || models.length > 0
      ? [`${models.length} model${models.length === 1 ? '' : 's'}`]
      : []),
    ...(instance.peers.length > 0 ? [`${instance.peers.length} connected now`] : []),
  ];
  return (
    <details className="server-line" data-testid={`server-line-${instance.id}`}>
      <summary>
        <strong className="server-name">{serverName(instance)}</strong>{' '}
        <Badge tone={EXPOSURE_TONE[instance.exposure]}>{instanceReachWords(instance)}</Badge>{' '}
        <span className="muted small">{facts.join(' · ')}</span>
      </summary>
      <InstanceCard instance={instance} />
    </details>
  );
}

export function Overview({ view }: { view: ScanView }) {
  const { snapshot } = view;
  const openFindings = view.findings.filter((f) => f.accepted === null);
  const accepted = view.findings.filter((f) => f.accepted !== null);
  const recommended = recommendedAction(view.findings, snapshot);
  const groups = groupByFix(openFindings, snapshot, recommended);
  // A risk just accepted here opens the section it moved to, so it stays in sight.
  const [acceptedOpen, setAcceptedOpen] = useState(false);
  const acceptedBefore = useRef(accepted.length);
  useEffect(() => {
    if (accepted.length > acceptedBefore.current) setAcceptedOpen(true);
    acceptedBefore.current = accepted.length;
  }, [accepted.length]);

  return (
    <div className="stack">
      {snapshot.instances.length === 0 ? <NoServerPanel view={view} /> : <Verdict view={view} />}
      <RemoteClientAlert />
      <ProbeNotices view={view} />
      {(snapshot.instances.length > 0 || view.findings.length > 0) && (
        <section aria-labelledby="findings-heading">
          <h2 id="findings-heading" className="section-title">
            What to fix <span className="count">{openFindings.length} open</span>
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
                key={`${group.fixId ?? ''}@${group.instance ?? ''}`}
                className="fix-group"
                data-testid={`fix-group-${group.fixId ?? 'none'}`}
                aria-label={group.heading}
              >
                <h3 className="group-title">
                  {group.heading}{' '}
                  <span className="muted small">
                    {group.fixId
                      ? `fixes ${group.findings.length} of ${openFindings.length}`
                      : `${group.findings.length} of ${openFindings.length}: do by hand, or accept the risk`}
                  </span>
                </h3>
                <div className="stack-tight">
                  {group.findings.map((finding) => (
                    <FindingCard key={finding.id} finding={finding} />
                  ))}
                </div>
              </section>
            ))
          )}
          {accepted.length > 0 && (
            <details
              className="accepted-section"
              data-testid="accepted-section"
              open={acceptedOpen}
              onToggle={(e) => setAcceptedOpen((e.currentTarget as HTMLDetailsElement).open)}
            >
              <summary>
                <span className="group-title-inline">
                  Accepted ({accepted.length}), not counted
                </span>{' '}
                <span className="muted small">
                  in the score. Each stays here until you withdraw it or it expires.
                </span>
              </summary>
              <div className="stack-tight">
                {accepted.map((finding) => (
                  <FindingCard key={finding.id} finding={finding} />
                ))}
              </div>
            </details>
          )}
        </section>
      )}
      {snapshot.instances.length > 0 && (
        <section aria-labelledby="instances-heading">
          <h2 id="instances-heading" className="section-title">
            {snapshot.instances.every((i) => i.kind === 'ollama')
              ? 'Ollama servers'
              : 'Local LLM servers'}{' '}
            <span className="count">{snapshot.instances.length}</span>
          </h2>
          {byKind(snapshot.instances).map(([kind, instances]) => (
            <div key={kind} className="kind-group" data-testid={`kind-group-${kind}`}>
              {snapshot.instances.some((i) => i.kind !== 'ollama') && (
                <h3 className="kind-title small">
                  {SERVER_KIND_NAMES[kind]} <span className="count">{instances.length}</span>
                </h3>
              )}
              <ul className="server-lines">
                {instances.map((instance) => (
                  <li key={instance.id}>
                    <ServerLine instance={instance} />
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </section>
      )}
    </div>
  );
}
