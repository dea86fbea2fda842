import { diffLines } from '../format';

/** A unified diff with added and removed lines coloured; the text is untrusted, shown as is. */
export function DiffView({ path, diff }: { path: string; diff: string }) {
  const lines = diffLines(diff);
  return (
    <figure className="diff" aria-label={`Changes to ${path}`}>
      <figcaption className="mono">{path}</figcaption>
      <pre className="code">
        {diff === ''
          ? '(content unchanged)'
          : lines.map((line, i) => (
              <span key={i} className={`diff-line diff-${line.kind}`}>
                {line.text}
                {'\n'}
              </span>
            ))}
      </pre>
    </figure>
  );
}
