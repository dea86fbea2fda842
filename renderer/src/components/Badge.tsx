import type { ReactNode } from 'react';
import type { Tone } from '../format';

/** A small coloured label: a severity, an exposure, a state. */
export function Badge({
  tone,
  children,
  title,
}: {
  tone: Tone | 'critical' | 'info';
  children: ReactNode;
  title?: string;
}) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}
