/**
 * The preview: unified diffs (checked on small cases by hand, and on random ones by applying
 * them with patch(1) and comparing the count of changed lines with `diff --minimal`), argv
 * shown with quoting, the undo order the executor uses, and the plan digest.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FixPlan } from '../../../shared/fixes';
import {
  canonicalJson,
  diffLines,
  planDigest,
  previewPlan,
  revertOrder,
  shownArgv,
  unifiedDiff,
} from '../../../electron/engine/fixes/preview';

const dir = mkdtempSync(join(tmpdir(), 'pdk-preview-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const numbered = (n: number, from = 1) =>
  Array.from({ length: n }, (_, i) => `line ${i + from}\n`).join('');

function plan(overrides: Partial<FixPlan> = {}): FixPlan {
  return {
    fixId: 'rebind-systemd',
    findingId: 'ollama-exposed-lan',
    instance: 'ollama:pid:42',
    title: 'Listen on loopback only',
    summary: 'Ollama will accept connections from this machine only.',
    warnings: ['Apps on other machines that use this server will stop reaching it.'],
    requiresAdmin: true,
    steps: [
      {
        kind: 'run',
        argv: ['systemctl', 'cat', 'ollama.service'],
        undo: ['systemctl', 'try-restart', 'ollama.service'],
        description: 'Check that systemd knows ollama.service.',
      },
      {
        kind: 'run',
        argv: ['systemctl', 'daemon-reload'],
        undo: ['systemctl', 'daemon-reload'],
        description: 'Reload systemd.',
      },
      {
        kind: 'write-file',
        path: '/etc/systemd/system/ollama.service.d/paddock.conf',
        before: null,
        content: '[Service]\nEnvironment=OLLAMA_HOST=127.0.0.1\n',
        mode: 0o644,
        description: 'Add a drop-in that makes Ollama listen on loopback.',
      },
      {
        kind: 'remove-file',
        path: '/etc/systemd/system/ollama.service.d/old.conf',
        before: '[Service]\nEnvironment=OLLAMA_HOST=0.0.0.0\n',
        description: 'Remove the drop-in that opened it to the network.',
      },
      {
        kind: 'run',
        argv: ['systemctl', 'daemon-reload'],
        undo: null,
        description: 'Reload systemd.',
      },
      {
        kind: 'run',
        argv: ['systemctl', 'try-restart', 'ollama.service'],
        undo: null,
        description: 'Restart Ollama.',
      },
    ],
    verification: {
      kind: 'instance-loopback-only',
      instance: 'ollama:pid:42',
      port: 11434,
      setting: null,
      description: 'Ollama listens on 127.0.0.1:11434 only.',
    },
    basedOn: '2025-01-02T10:00:00.000Z',
    ...overrides,
  };
}

describe('unifiedDiff', () => {
  it('diffs a new file against /dev/null', () => {
    expect(unifiedDiff('/etc/x.conf', null, 'a\nb\n')).toBe(
      '--- /dev/null\n+++ b/etc/x.conf\n@@ -0,0 +1,2 @@\n+a\n+b\n',
    );
  });

  it('diffs a removed file against /dev/null', () => {
    expect(unifiedDiff('/etc/x.conf', 'a\nb\n', null)).toBe(
      '--- a/etc/x.conf\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n',
    );
  });

  it('shows a change in the middle with three lines of context', () => {
    const before = numbered(10);
    const after = before.replace('line 5\n', 'five\n');
    expect(unifiedDiff('/f', before, after)).toBe(
      [
        '--- a/f',
        '+++ b/f',
        '@@ -2,7 +2,7 @@',
        ' line 2',
        ' line 3',
        ' line 4',
        '-line 5',
        '+five',
        ' line 6',
        ' line 7',
        ' line 8',
        '',
      ].join('\n'),
    );
  });

  it('merges changes whose context touches, and splits those further apart', () => {
    const before = numbered(30);
    // Lines 5 and 11: 5 unchanged lines between them (<= 6): one hunk.
    const close = before.replace('line 5\n', 'x\n').replace('line 11\n', 'y\n');
    expect(unifiedDiff('/f', before, close).match(/^@@/gm)).toHaveLength(1);
    expect(unifiedDiff('/f', before, close)).toContain('@@ -2,13 +2,13 @@');
    // Lines 5 and 13: 7 unchanged lines between them: two hunks.
    const far = before.replace('line 5\n', 'x\n').replace('line 13\n', 'y\n');
    const diff = unifiedDiff('/f', before, far);
    expect(diff.match(/^@@.*@@$/gm)).toEqual(['@@ -2,7 +2,7 @@', '@@ -10,7 +10,7 @@']);
  });

  it('inserts at the top and appends at the end with the right line numbers', () => {
    expect(unifiedDiff('/f', 'b\nc\n', 'a\nb\nc\n')).toBe(
      '--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n+a\n b\n c\n',
    );
    expect(unifiedDiff('/f', numbered(5), `${numbered(5)}end\n`)).toBe(
      '--- a/f\n+++ b/f\n@@ -3,3 +3,4 @@\n line 3\n line 4\n line 5\n+end\n',
    );
  });

  it('marks a missing final newline, and a change of it alone', () => {
    expect(unifiedDiff('/f', 'a\nb', 'a\nb\n')).toBe(
      '--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n',
    );
    expect(unifiedDiff('/f', null, 'x')).toBe(
      '--- /dev/null\n+++ b/f\n@@ -0,0 +1,1 @@\n+x\n\\ No newline at end of file\n',
    );
  });

  it('is empty when nothing changes', () => {
    expect(unifiedDiff('/f', 'a\n', 'a\n')).toBe('');
    expect(unifiedDiff('/f', null, '')).toBe('');
  });

  it('finds a shortest edit script', () => {
    const ops = diffLines(['a', 'b', 'c', 'a', 'b', 'b', 'a'], ['c', 'b', 'a', 'b', 'a', 'c']);
    expect(ops.filter((op) => op.kind !== ' ')).toHaveLength(5); // Myers' paper: D = 5
  });

  it('random texts: patch(1) turns the old file into the new, with as few changes as diff(1)', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const text = () => {
      const lines = Array.from({ length: random(14) }, () => 'abcde'[random(5)]!);
      return lines.length === 0 ? '' : `${lines.join('\n')}${random(4) === 0 ? '' : '\n'}`;
    };
    const [oldFile, newFile, patchFile] = ['old', 'new', 'patch'].map((n) => join(dir, n));
    for (let round = 0; round < 60; round += 1) {
      const before = text();
      const after = text();
      writeFileSync(oldFile!, before);
      writeFileSync(newFile!, after);
      const diff = unifiedDiff('/f', before, after);
      writeFileSync(patchFile!, diff);
      if (diff !== '') {
        execFileSync('patch', ['-s', '-o', join(dir, 'out'), oldFile!, patchFile!]);
        expect(readFileSync(join(dir, 'out'), 'utf8'), `round ${round}`).toBe(after);
      }
      const gnu = spawnSync('diff', ['--minimal', '-U3', oldFile!, newFile!], { encoding: 'utf8' });
      const changes = (d: string) => d.split('\n').filter((l) => /^[-+](?![-+]{2} )/.test(l));
      expect(changes(diff).length, `round ${round}`).toBe(changes(gnu.stdout).length);
    }
  });
});

describe('previewPlan', () => {
  it('shows title, summary, warnings, admin, diffs, argv, undo and verification', () => {
    const text = previewPlan(plan());
    expect(text).toContain('Fix: Listen on loopback only');
    expect(text).toContain('  ! Apps on other machines');
    expect(text).toContain('Needs admin rights: yes');
    expect(text).toContain(
      '--- /dev/null\n+++ b/etc/systemd/system/ollama.service.d/paddock.conf\n@@ -0,0 +1,2 @@',
    );
    expect(text).toContain('+++ /dev/null\n@@ -1,2 +0,0 @@\n-[Service]');
    expect(text).toContain('   run: systemctl try-restart ollama.service');
    expect(text).toContain('Ollama listens on 127.0.0.1:11434 only.');
    expect(text).toContain(`Plan sha256: ${planDigest(plan())}`);
    expect(previewPlan(plan({ requiresAdmin: false }))).toContain('Needs admin rights: no.');
  });

  it('lists the undo in the order the executor runs it: last step first', () => {
    const text = previewPlan(plan());
    const undo = text.slice(text.indexOf('Undo, in this order:')).split('\n').slice(1, 7);
    expect(undo).toEqual([
      '   step 6: nothing to run (systemctl try-restart ollama.service is not reverted)',
      '   step 5: nothing to run (systemctl daemon-reload is not reverted)',
      '   step 4: put back /etc/systemd/system/ollama.service.d/old.conf, byte for byte, with its mode',
      '   step 3: remove /etc/systemd/system/ollama.service.d/paddock.conf (it did not exist; folders created for it are removed)',
      '   step 2: run: systemctl daemon-reload',
      '   step 1: run: systemctl try-restart ollama.service',
    ]);
    expect(revertOrder([3, 0, 2, 2])).toEqual([3, 2, 0]);
  });

  it('quotes argv for display only, and shows no control characters from the system', () => {
    expect(shownArgv(['ufw', 'allow', 'from', '127.0.0.1', "it's a rule", '$(x)'])).toBe(
      `ufw allow from 127.0.0.1 'it'\\''s a rule' '$(x)'`,
    );
    const hostile = plan({
      steps: [
        {
          kind: 'write-file',
          path: '/etc/x',
          before: 'ok\n\u001b]0;pwned\u0007\n',
          content: 'ok\n',
          mode: 0o600,
          description: 'x',
        },
      ],
    });
    const text = previewPlan(hostile);
    expect(text.includes('\u001b') || text.includes('\u0007')).toBe(false);
    expect(text).toContain('-\uFFFD]0;pwned\uFFFD');
  });
});

describe('planDigest', () => {
  it('does not depend on key order, and changes with any byte of the plan', () => {
    const a = plan();
    const reordered = JSON.parse(canonicalJson(a)) as FixPlan;
    const shuffled = Object.fromEntries(Object.entries(reordered).reverse()) as FixPlan;
    expect(planDigest(shuffled)).toBe(planDigest(a));
    const changed = plan();
    (changed.steps[5] as { argv: string[] }).argv[2] = 'ollama';
    expect(planDigest(changed)).not.toBe(planDigest(a));
    expect(planDigest(a)).toMatch(/^[0-9a-f]{64}$/);
  });
});
