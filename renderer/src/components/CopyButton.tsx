import { useState } from 'react';

/** Copies a command to the clipboard and says so for a moment; `quiet` false: a plain button. */
export function CopyButton({
  text,
  label = 'Copy',
  quiet = true,
}: {
  text: string;
  label?: string;
  quiet?: boolean;
}) {
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  const copy = () => {
    navigator.clipboard.writeText(text).then(
      () => setCopied('yes'),
      () => setCopied('failed'),
    );
    window.setTimeout(() => setCopied('no'), 1600);
  };
  return (
    <button type="button" className={`button small${quiet ? ' ghost' : ''}`} onClick={copy}>
      <span aria-live="polite">
        {copied === 'yes' ? 'Copied' : copied === 'failed' ? 'Copy failed' : label}
      </span>
    </button>
  );
}
