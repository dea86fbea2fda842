/**
 * `window.paddock` for a page served by the bridge (server.ts): the same methods the preload
 * gives the app's window, over fetch and server-sent events. Injected with
 * page.addInitScript(BRIDGE_CLIENT) before the renderer's own scripts run.
 *
 * It also marks the first-run screen (renderer/src/components/FirstRun.tsx) as seen, so the
 * tests start on the app itself; a page opened with \`?first-run\` in its address gets it.
 */
export const BRIDGE_CLIENT = `(() => {
  try {
    if (!new URLSearchParams(location.search).has('first-run'))
      localStorage.setItem('paddock.firstRunDone', '1');
  } catch {}
  const methods = ['scan', 'snapshot', 'planFix', 'shareOffers', 'applyFix', 'undo', 'acceptRisk',
    'withdrawRisk', 'history', 'getSettings', 'updateSettings', 'adminCopy'];
  class PaddockError extends Error {
    constructor(kind, message) { super(message); this.name = 'PaddockError'; this.kind = kind; }
  }
  const api = {};
  for (const method of methods) {
    api[method] = async (request) => {
      const res = await fetch('/api/' + method, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request === undefined ? {} : request),
      });
      const envelope = await res.json();
      if (envelope && envelope.ok === true) return envelope.value;
      const error = envelope && envelope.error;
      throw new PaddockError(error ? error.kind : 'invalid-result',
        error ? error.message : 'Paddock received an answer it cannot read.');
    };
  }
  const listeners = new Set();
  let source = null;
  api.subscribe = (listener) => {
    listeners.add(listener);
    if (!source) {
      source = new EventSource('/events');
      source.onmessage = (message) => {
        let event;
        try { event = JSON.parse(message.data); } catch { return; }
        for (const l of listeners) l(event);
      };
    }
    return () => { listeners.delete(listener); };
  };
  Object.defineProperty(window, 'paddock', { value: Object.freeze(api), writable: false });
})();`;
